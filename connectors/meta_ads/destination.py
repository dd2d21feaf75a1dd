"""Meta customer-file custom audiences (also exclusion audiences) as a sync destination.

Marketing API references:
- find: `GET /act_{ad_account_id}/customaudiences?fields=id,name,operation_status`
  (https://developers.facebook.com/docs/marketing-api/reference/ad-account/customaudiences);
- create: `POST /act_{ad_account_id}/customaudiences` with `subtype=CUSTOM` and
  `customer_file_source` (https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences);
- members: `POST` / `DELETE /{audience_id}/users` with `payload={"schema": [...],
  "data": [[...], ...]}`, at most 10,000 rows a call; a multi-key schema names
  EMAIL, PHONE, FN, LN, ... and every value is a SHA-256 of the normalized value,
  "" where unknown (https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users);
- reconciliation: `POST /{audience_id}/usersreplace` with a `session` (session_id,
  batch_seq from 1, last_batch_flag, estimated_num_total): the audience ends up
  holding exactly what the session sent, without resetting ad-set learning
  (https://developers.facebook.com/docs/marketing-api/reference/custom-audience/usersreplace).

Meta cannot list an audience's members, so `members()` is None and the engine's
reconciliation uses `replace`. An audience flagged restricted (`operation_status`
471) refuses every membership change with error 100 / subcode 1713230 ("Audience
Upload Blocked"); both signs raise DestinationRefused, never retried.

Nothing un-hashed ever leaves: values are normalized and hashed by
connectors/sync/hashing.py (pre-hashed input is kept, never hashed twice), and
every payload is checked to hold only 64-character lowercase hex (or "") before
it is sent.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.meta_ads.client import MetaSettings, make_client
from connectors.sync.adapter import HttpDestination, chunks
from connectors.sync.destination import DestinationRefused, Member, Outcome, Row
from connectors.sync.engine import SyncSpec
from connectors.sync.hashing import hash_identifier, is_sha256

USERS_PER_CALL = 10_000
RESTRICTED = 471
UPLOAD_BLOCKED = 1713230  # error_subcode of a membership change on a restricted audience
CUSTOMER_FILE_SOURCE = "USER_PROVIDED_ONLY"
AUDIENCES_PAGE = 100

# Audience columns omnihub's models carry -> Meta's customer-file schema keys.
SCHEMA_KEY = {
    "email": "EMAIL",
    "phone": "PHONE",
    "phone_e164": "PHONE",
    "first_name": "FN",
    "last_name": "LN",
    "first_initial": "FI",
    "city": "CT",
    "state": "ST",
    "zip": "ZIP",
    "postal_code": "ZIP",
    "country": "COUNTRY",
    "country_code": "COUNTRY",
    "gender": "GEN",
    "birth_year": "DOBY",
    "external_id": "EXTERN_ID",
}
DEFAULT_COLUMNS = ("email", "phone_e164")
_NO_IDENTIFIER = "no email, phone or name Meta can match on"


def check_hashed(data: Sequence[Sequence[str]]) -> None:
    """The last line of defence: every value about to leave is a SHA-256 hex
    digest or blank. Raised rather than asserted, so `python -O` keeps it; the
    message names the position, never the value."""
    for i, row in enumerate(data):
        for j, value in enumerate(row):
            if value != "" and not is_sha256(value):
                raise AssertionError(
                    f"refusing to send an un-hashed value to Meta (row {i}, column {j})"
                )


def _graph_error(exc: ClientError) -> dict[str, Any]:
    try:
        return json.loads(exc.body).get("error") or {}
    except (ValueError, AttributeError):
        return {}


class MetaCustomAudience(HttpDestination):
    """Membership of an audience as hashed customer-file rows."""

    def __init__(
        self, client: HttpClient, settings: MetaSettings, spec: SyncSpec, columns: Sequence[str]
    ) -> None:
        super().__init__(client, spec.key, USERS_PER_CALL)
        self.account = settings.ad_account_id
        self.name = spec.target
        self.sync = spec.name
        self.columns = tuple(columns)
        self.schema = tuple(SCHEMA_KEY[c] for c in self.columns)
        self._audience_id: str | None = None
        self.rows_sent = 0
        self.num_received = 0
        self.num_invalid_entries = 0

    # -- the audience ---------------------------------------------------------
    def audience_id(self) -> str:
        """Find the audience by name (created once, on the first run), refusing
        to go on if Meta has flagged it restricted."""
        if self._audience_id is None:
            found = self._find()
            if found is None:
                created = self.call(
                    "POST",
                    f"act_{self.account}/customaudiences",
                    data={
                        "name": self.name,
                        "subtype": "CUSTOM",
                        "description": f"Managed by omnihub sync {self.sync}",
                        "customer_file_source": CUSTOMER_FILE_SOURCE,
                    },
                )
                found = {"id": str(json_of(created)["id"])}
            status = (found.get("operation_status") or {}).get("code")
            if status == RESTRICTED:
                raise DestinationRefused(self._restricted(found["id"]))
            self._audience_id = str(found["id"])
        return self._audience_id

    def _find(self) -> dict[str, Any] | None:
        url: str | None = f"act_{self.account}/customaudiences"
        params: dict[str, Any] | None = {
            "fields": "id,name,operation_status",
            "limit": AUDIENCES_PAGE,
        }
        while url:
            body = json_of(self.call("GET", url, params=params))
            for audience in body.get("data") or []:
                if audience.get("name") == self.name:
                    return audience
            url, params = (body.get("paging") or {}).get("next"), None  # next carries the query
        return None

    def _restricted(self, audience_id: str) -> str:
        return (
            f"Meta audience '{self.name}' ({audience_id}) is restricted (operation_status 471): "
            "Meta refuses every membership change until the restriction is resolved. Appeal it "
            "in Ads Manager > Audiences, or create a new audience under another name and point "
            "the sync at it. Nothing was sent."
        )

    # -- rows -> hashes -------------------------------------------------------
    def hashes(self, row: Row) -> dict[str, str]:
        """Schema key -> SHA-256 for every identifier the row has that Meta can use."""
        out: dict[str, str] = {}
        for column, key in zip(self.columns, self.schema, strict=True):
            digest = hash_identifier(key, row.get(column))
            if digest is not None:
                out.setdefault(key, digest)
        return out

    @staticmethod
    def _ref(hashes: Mapping[str, str]) -> str:
        return json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))

    def ref_of(self, row: Row) -> str | None:
        hashes = self.hashes(row)
        return self._ref(hashes) if hashes else None

    def _payload(self, entries: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        schema = list(self.schema)
        for entry in entries:  # refs recorded under an older field list
            schema += [k for k in entry if k not in schema]
        data = [[entry.get(k, "") for k in schema] for entry in entries]
        check_hashed(data)
        return {"schema": schema, "data": data}

    def _send(
        self, method: str, edge: str, entries: Sequence[Mapping[str, str]], **extra: Any
    ) -> dict[str, Any]:
        form = {"payload": json.dumps(self._payload(entries), separators=(",", ":"))}
        form.update({k: json.dumps(v, separators=(",", ":")) for k, v in extra.items()})
        try:
            body = json_of(self.call(method, f"{self.audience_id()}/{edge}", data=form))
        except ClientError as exc:
            error = _graph_error(exc)
            if error.get("error_subcode") == UPLOAD_BLOCKED:
                raise DestinationRefused(self._restricted(self.audience_id())) from None
            raise
        self.rows_sent += len(entries)
        self.num_received += int(body.get("num_received") or 0)
        self.num_invalid_entries += int(body.get("num_invalid_entries") or 0)
        return body

    def _entries(
        self, rows: Sequence[Row]
    ) -> tuple[dict[int, Outcome], list[tuple[int, str, dict[str, str]]]]:
        """(skipped rows' outcomes by index, (index, key, hashes) of the rest)."""
        skipped: dict[int, Outcome] = {}
        entries: list[tuple[int, str, dict[str, str]]] = []
        for i, row in enumerate(rows):
            hashes = self.hashes(row)
            if hashes:
                entries.append((i, self.key_of(row), hashes))
            else:
                skipped[i] = Outcome(self.key_of(row), False, _NO_IDENTIFIER, skipped=True)
        return skipped, entries

    def _apply(self, method: str, edge: str, rows: Sequence[Row]) -> list[Outcome]:
        outcomes, entries = self._entries(rows)
        for chunk in chunks(entries, USERS_PER_CALL):
            outcomes.update(self._outcomes(method, edge, chunk))
        return [outcomes[i] for i in range(len(rows))]

    def _outcomes(
        self, method: str, edge: str, chunk: Sequence[tuple[int, str, dict[str, str]]]
    ) -> dict[int, Outcome]:
        try:
            body = self._send(method, edge, [h for _, _, h in chunk])
        except ClientError as exc:
            reason = _graph_error(exc).get("message") or str(exc)
            refused = f"Meta refused the batch: {reason}"
            return {i: Outcome(key, False, refused) for i, key, _ in chunk}
        invalid = body.get("invalid_entry_samples") or {}
        out = {}
        for i, key, hashes in chunk:
            bad = next((invalid[h] for h in hashes.values() if h in invalid), None)
            out[i] = (
                Outcome(key, False, f"Meta: {bad}")
                if bad
                else Outcome(key, True, ref=self._ref(hashes))
            )
        return out

    # -- the contract ---------------------------------------------------------
    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._apply("POST", "users", rows)

    update_replaces = True
    """A changed identifier is a different hash: the engine removes the member
    by the hashes it was added with, then adds the new ones."""

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        """Removes exactly the hashes that were added (the member's ref)."""
        outcomes: dict[int, Outcome] = {}
        entries: list[tuple[int, str, dict[str, str]]] = []
        for i, member in enumerate(members):
            try:
                hashes = json.loads(member.ref or "")
            except ValueError:
                hashes = None
            if isinstance(hashes, dict) and hashes:
                entries.append((i, member.key, hashes))
            else:
                outcomes[i] = Outcome(
                    member.key,
                    False,
                    "no hashes were recorded for this member; Meta cannot "
                    "address it (a reconciliation replaces the audience)",
                )
        for chunk in chunks(entries, USERS_PER_CALL):
            outcomes.update(self._outcomes("DELETE", "users", chunk))
        return [outcomes[i] for i in range(len(members))]

    def replace(self, rows: Sequence[Row]) -> list[Outcome]:
        """Make the audience hold exactly `rows`: one usersreplace session, in
        batches of 10,000. A batch Meta refuses ends the session there (its rows
        and the ones after it are rejected; Meta expires the open session)."""
        outcomes, entries = self._entries(rows)
        batches = list(chunks(entries, USERS_PER_CALL))
        session_id = secrets.randbits(62) + 1  # advertiser-chosen, unique in the ad account
        for seq, chunk in enumerate(batches, start=1):
            session = {
                "session_id": session_id,
                "batch_seq": seq,
                "last_batch_flag": seq == len(batches),
                "estimated_num_total": len(entries),
            }
            try:
                self._send("POST", "usersreplace", [h for _, _, h in chunk], session=session)
            except ClientError as exc:
                reason = _graph_error(exc).get("message") or str(exc)
                for rest in batches[seq - 1 :]:
                    for i, key, _ in rest:
                        outcomes[i] = Outcome(key, False, f"Meta refused the replace: {reason}")
                break
            for i, key, hashes in chunk:
                outcomes[i] = Outcome(key, True, ref=self._ref(hashes))
        return [outcomes[i] for i in range(len(rows))]

    def report(self) -> dict[str, Any]:
        """Meta's own counts: rows sent, received, invalid; the share accepted."""
        if not self.rows_sent:
            return {}
        accepted = max(0, self.num_received - self.num_invalid_entries)
        return {
            "meta_rows_sent": self.rows_sent,
            "meta_num_received": self.num_received,
            "meta_num_invalid_entries": self.num_invalid_entries,
            "meta_match_rate": round(accepted / self.rows_sent, 4),
        }


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> MetaCustomAudience:
    if spec.object != "custom_audience":
        raise ConnectorError(
            f"sync {spec.name}: Meta supports object 'custom_audience', not {spec.object!r}"
        )
    columns = spec.fields or DEFAULT_COLUMNS
    unknown = [c for c in columns if c not in SCHEMA_KEY]
    if unknown:
        raise ConnectorError(
            f"sync {spec.name}: Meta custom audiences take customer identifiers only; "
            f"{', '.join(unknown)} cannot be sent (columns Meta matches on: "
            f"{', '.join(sorted(SCHEMA_KEY))})"
        )
    keys = [SCHEMA_KEY[c] for c in columns]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConnectorError(
            f"sync {spec.name}: two columns map to Meta's {', '.join(twice)}; send one of them"
        )
    settings = MetaSettings.from_env(env)
    return MetaCustomAudience(make_client(settings), settings, spec, columns)
