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

- value-based audiences (the seed of a value-based lookalike): created with
  `is_value_based=1`; every row added carries the schema key LOOKALIKE_VALUE, an
  unhashed non-negative number (the customer's value), beside the hashed keys
  ("Value-Based Lookalikes", https://developers.facebook.com/docs/marketing-api/audiences/guides/value-based-lookalike-audiences/).
  A sync whose fields include `lookalike_value` is one; removals send the hashed
  keys only. Meta cannot turn an existing audience into a value-based one (or back),
  so a mismatch stops the sync with what to do.

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
from decimal import Decimal
from typing import Any

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.meta_ads.client import MetaSettings, make_client
from connectors.sync.adapter import HttpDestination, chunks, jsonable
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
    "lookalike_value": "LOOKALIKE_VALUE",
}
VALUE_KEY = "LOOKALIKE_VALUE"
"""Not an identifier: the member's value in a value-based audience, sent as a number."""
DEFAULT_COLUMNS = ("email", "phone_e164")
_NO_IDENTIFIER = "no email, phone or name Meta can match on"
_NO_VALUE = "no non-negative value for a value-based audience"


def check_hashed(data: Sequence[Sequence[Any]], schema: Sequence[str] = ()) -> None:
    """The last line of defence: every value about to leave is a SHA-256 hex
    digest or blank (LOOKALIKE_VALUE, a number, aside). Raised rather than
    asserted, so `python -O` keeps it; the message names the position, never
    the value."""
    numeric = {j for j, key in enumerate(schema) if key == VALUE_KEY}
    for i, row in enumerate(data):
        for j, value in enumerate(row):
            if j in numeric:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise AssertionError(f"LOOKALIKE_VALUE must be a number >= 0 (row {i})")
                continue
            if value != "" and not (isinstance(value, str) and is_sha256(value)):
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
        self.value_column = next((c for c in columns if SCHEMA_KEY[c] == VALUE_KEY), None)
        self.columns = tuple(c for c in columns if c != self.value_column)
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
                        **({"is_value_based": "1"} if self.value_column else {}),
                    },
                )
                found = {"id": str(json_of(created)["id"])}
            elif bool(found.get("is_value_based")) != bool(self.value_column):
                want = "value-based" if self.value_column else "not value-based"
                raise ConnectorError(
                    f"Meta audience '{self.name}' ({found['id']}) exists but is not {want}; "
                    "Meta cannot change that on an existing audience. Point the sync at a new "
                    "name (or delete the audience in Ads Manager) and run it again."
                )
            status = (found.get("operation_status") or {}).get("code")
            if status == RESTRICTED:
                raise DestinationRefused(self._restricted(found["id"]))
            self._audience_id = str(found["id"])
        return self._audience_id

    def _find(self) -> dict[str, Any] | None:
        url: str | None = f"act_{self.account}/customaudiences"
        params: dict[str, Any] | None = {
            "fields": "id,name,operation_status,is_value_based",
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

    def value(self, row: Row) -> float | int | None:
        """The row's LOOKALIKE_VALUE as Meta takes it (a number >= 0), or None."""
        raw = row.get(self.value_column) if self.value_column else None
        if raw is None or isinstance(raw, bool):
            return None
        try:
            number = jsonable(Decimal(str(raw)))
        except ArithmeticError:
            return None
        return number if number >= 0 else None

    @staticmethod
    def _ref(hashes: Mapping[str, Any]) -> str:
        """The member's handle: its identifier hashes (never its value, which may
        change while the member stays the same person)."""
        keys = {k: v for k, v in hashes.items() if k != VALUE_KEY}
        return json.dumps(dict(sorted(keys.items())), separators=(",", ":"))

    def ref_of(self, row: Row) -> str | None:
        hashes = self.hashes(row)
        return self._ref(hashes) if hashes else None

    def _payload(self, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        schema = list(self.schema)
        for entry in entries:  # refs recorded under an older field list; the value last
            schema += [k for k in entry if k not in schema and k != VALUE_KEY]
        if any(VALUE_KEY in entry for entry in entries):
            schema.append(VALUE_KEY)
        data = [[entry.get(k, "") for k in schema] for entry in entries]
        check_hashed(data, schema)
        return {"schema": schema, "data": data}

    def _send(
        self, method: str, edge: str, entries: Sequence[Mapping[str, Any]], **extra: Any
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
    ) -> tuple[dict[int, Outcome], list[tuple[int, str, dict[str, Any]]]]:
        """(skipped rows' outcomes by index, (index, key, hashes and value) of the rest)."""
        skipped: dict[int, Outcome] = {}
        entries: list[tuple[int, str, dict[str, Any]]] = []
        for i, row in enumerate(rows):
            hashes: dict[str, Any] = self.hashes(row)
            value = self.value(row)
            if not hashes:
                skipped[i] = Outcome(self.key_of(row), False, _NO_IDENTIFIER, skipped=True)
            elif self.value_column and value is None:
                skipped[i] = Outcome(self.key_of(row), False, _NO_VALUE, skipped=True)
            else:
                if self.value_column:
                    hashes[VALUE_KEY] = value
                entries.append((i, self.key_of(row), hashes))
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
            bad = next((invalid[str(h)] for h in hashes.values() if str(h) in invalid), None)
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
    if [SCHEMA_KEY[c] for c in columns] == [VALUE_KEY]:
        raise ConnectorError(f"sync {spec.name}: a value needs an email or phone to go with it")
    keys = [SCHEMA_KEY[c] for c in columns]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ConnectorError(
            f"sync {spec.name}: two columns map to Meta's {', '.join(twice)}; send one of them"
        )
    settings = MetaSettings.from_env(env)
    return MetaCustomAudience(make_client(settings), settings, spec, columns)
