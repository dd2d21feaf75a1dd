"""Klaviyo lists, suppressions and profile properties as sync destinations.

References (openapi/stable.json of github.com/klaviyo/openapi; the client pins
the revision):
- lists: `GET /api/lists?filter=equals(name,"...")` (10 a page), `POST /api/lists`;
  membership `POST` / `DELETE /api/lists/{id}/relationships/profiles` with
  `{"data": [{"type": "profile", "id": ...}]}`, at most 1,000 profiles a call;
  `GET /api/lists/{id}/relationships/profiles` (100 a page) for `members()`.
  Adding a profile to a list does not give consent (Klaviyo's own note on
  add_profiles_to_list: consent is the Subscribe Profiles endpoint, which this
  module never calls) and removing one changes no subscription.
- profiles: a list add needs profile ids; rows that already carry a
  `klaviyo_profile_id` and no fields to write need nothing more, the others get
  theirs from a bulk import job (below), which creates the missing profiles and
  writes the fields (attributes absent from a profile are left unchanged,
  `meta.patch_properties.unset` removes custom properties). Never one
  `POST /api/profile-import` per row: at 750/min that is hours for a
  first list of a few hundred thousand people.
- profiles in bulk: `POST /api/profile-bulk-import-jobs`
  (bulk_import_profiles: up to 10,000 profiles and 5 MB a job, the same
  ProfileUpsertQueryResourceObject with `meta.patch_properties`), answered 202
  with a job polled at `GET /api/profile-bulk-import-jobs/{id}` until `complete`
  or `cancelled`; the refused profiles at `.../{id}/import-errors` (each with its
  `original_payload`), the profiles it created or updated at `.../{id}/profiles`
  (both paged, 100 at most). One call per profile (750/min steady) would take
  fifteen hours to give a million customers a health score; a job carries a
  thousand.
- subscriptions: `POST /api/profile-subscription-bulk-create-jobs` (KlaviyoSubscription,
  the one object that gives consent, and only consent a person gave elsewhere).
- suppressions: `POST /api/profile-suppression-bulk-create-jobs`, at most 100
  emails a request, polled at `GET /api/profile-suppression-bulk-create-jobs/{id}`
  until `complete`. A sync never un-suppresses (no bulk-delete job is ever sent).

Row columns: `klaviyo_profile_id` (when the person has a profile), `email`,
`phone_e164` (or `phone`). Other `fields` are written to the profile: Klaviyo's
standard name attributes (first_name, last_name, organization, title, locale)
when present, everything else as custom properties (so a cart-abandoner list
carries the products left behind). Subscriptions are never part of a request,
except the `subscription` object's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.errors import ClientError, ConnectorError
from connectors.http import HttpClient, json_of
from connectors.klaviyo.client import KlaviyoSettings, make_client
from connectors.sync.adapter import HttpDestination, adapter_for, chunks, jsonable, present
from connectors.sync.destination import Member, Outcome, Row
from connectors.sync.engine import SyncSpec
from connectors.sync.hashing import normalize_email
from connectors.timestamps import iso

JSONAPI = "application/vnd.api+json"
PROFILES_PER_LIST_CALL = 1000
EMAILS_PER_SUPPRESSION_JOB = 100
MEMBERS_PAGE = 100
PROFILE_ID = "klaviyo_profile_id"
EMAIL = "email"
PHONES = ("phone_e164", "phone")
IDENTIFIERS = (PROFILE_ID, EMAIL, *PHONES)
STANDARD_ATTRIBUTES = ("first_name", "last_name", "organization", "title", "locale")
NOT_RESUBSCRIBED = "re-subscription is an explicit, audited action; not done by a sync"
NOT_UNSUBSCRIBED = "a sync never unsubscribes: that is the person's act, made where they made it"
PROFILES_PER_SUBSCRIPTION_JOB = 1000
# bulk_import_profiles takes 10,000 profiles or 5 MB; a thousand keeps what a
# crash leaves in doubt (sent again: an upsert of the same values) small
PROFILES_PER_IMPORT_JOB = 1000
IMPORT_JOB_MAX_BYTES = 4_500_000
IMPORT_PAGE = 100
CONSENTED_AT = "consented_at"
_NO_IDENTITY = "no Klaviyo profile id, email or phone"


def klaviyo_error(exc: ClientError) -> str:
    """`code: detail` of the first JSON:API error, or the HTTP layer's message."""
    try:
        first = (json.loads(exc.body).get("errors") or [{}])[0]
    except (ValueError, AttributeError, IndexError):
        return str(exc)
    detail = first.get("detail") or first.get("title") or str(exc)
    return f"{first.get('code')}: {detail}" if first.get("code") else str(detail)


class KlaviyoDestination(HttpDestination):
    """Profile resolution shared by every Klaviyo object."""

    # the profile id Klaviyo assigned on import and ingest later reports back
    ref_fields = (PROFILE_ID,)

    def __init__(self, client: HttpClient, spec: SyncSpec, batch_size: int) -> None:
        super().__init__(client, spec.key, batch_size)
        self.spec = spec
        written = [f for f in spec.fields if f not in IDENTIFIERS]
        self.attributes = tuple(f for f in written if f in STANDARD_ATTRIBUTES)
        self.properties = tuple(f for f in written if f not in STANDARD_ATTRIBUTES)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        if "json" in kwargs:
            kwargs["headers"] = {"Content-Type": JSONAPI}
        response = self.call(method, path, **kwargs)
        return json_of(response) if response.content else None

    def _pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged collection (JSON:API: follow `links.next`)."""
        url: str | None = path
        query: Mapping[str, Any] | None = params
        while url:
            body = self._json("GET", url, params=query)
            yield from body.get("data") or []
            url, query = (body.get("links") or {}).get("next"), None

    @staticmethod
    def _phone(row: Row) -> str | None:
        return next((str(row[p]).strip() for p in PHONES if present(row.get(p))), None)

    def ref_of(self, row: Row) -> str | None:
        value = row.get(PROFILE_ID)
        return str(value) if present(value) else None

    def _profile(self, row: Row, *, unset: Sequence[str] = ()) -> dict[str, Any] | None:
        """The profile-import resource for a row: its id if known (then nothing
        else identifies it, so no identifier of Klaviyo's is overwritten), else
        its email, else its phone; the fields it carries; never subscriptions."""
        resource: dict[str, Any] = {"type": "profile", "attributes": {}}
        attributes = resource["attributes"]
        profile_id = self.ref_of(row)
        if profile_id:
            resource["id"] = profile_id
        elif normalize_email(row.get(EMAIL)):
            attributes["email"] = str(row[EMAIL]).strip()
        elif self._phone(row):
            attributes["phone_number"] = self._phone(row)
        else:
            return None
        for name in self.attributes:
            if present(row.get(name)):
                attributes[name] = jsonable(row[name])
        if self.properties and not unset:
            attributes["properties"] = {p: jsonable(row.get(p)) for p in self.properties}
        if unset:
            resource["meta"] = {"patch_properties": {"unset": list(unset)}}
        return resource

    def _bulk_import(self, rows: Sequence[Row], *, unset: Sequence[str] = ()) -> list[Outcome]:
        """Every row's outcome, in the rows' order, from as few jobs as fit."""
        out: dict[int, Outcome] = {}
        items: list[tuple[int, str, dict[str, Any]]] = []
        for i, row in enumerate(rows):
            resource = self._profile(row, unset=unset)
            if resource is None:
                out[i] = Outcome(self.key_of(row), False, _NO_IDENTITY, skipped=True)
            else:
                items.append((i, self.key_of(row), resource))
        for job in _import_jobs(items):
            for i, outcome in self._import_job(job).items():
                out[i] = outcome
        return [out[i] for i in range(len(rows))]

    def _import_job(self, items: Sequence[tuple[int, str, dict[str, Any]]]) -> dict[int, Outcome]:
        """One import job: posted, waited for, and read back. A job Klaviyo
        refuses whole (400) is split in halves until the profile it refuses is
        isolated, so one bad row does not fail its 999 neighbours."""
        body = {
            "data": {
                "type": "profile-bulk-import-job",
                "attributes": {"profiles": {"data": [resource for _, _, resource in items]}},
            }
        }
        try:
            created = self._json("POST", "api/profile-bulk-import-jobs", json=body)
        except ClientError as exc:
            if exc.status != 400 or len(items) == 1:
                reason = f"Klaviyo refused the profile: {klaviyo_error(exc)}"
                return {i: Outcome(key, False, reason) for i, key, _ in items}
            half = len(items) // 2
            return {**self._import_job(items[:half]), **self._import_job(items[half:])}
        job_id = str(created["data"]["id"])

        def finished() -> dict[str, Any] | None:
            job = self._json("GET", f"api/profile-bulk-import-jobs/{job_id}")["data"]
            return job["attributes"] if job["attributes"]["status"] in _DONE else None

        job = self.client.poll(finished, what=f"profile import job {job_id}")
        if job["status"] != "complete":
            reason = f"Klaviyo {job['status']} profile import job {job_id}; sent again next run"
            return {i: Outcome(key, False, reason) for i, key, _ in items}
        refused = self._refused(job_id) if job.get("failed_count") else {}
        imported = self._imported(job_id) if any("id" not in r for _, _, r in items) else {}
        out = {}
        for i, key, resource in items:
            identity = _identity(resource)
            if identity in refused:
                out[i] = Outcome(key, False, f"Klaviyo refused the profile: {refused[identity]}")
            elif "id" in resource:
                out[i] = Outcome(key, True, ref=str(resource["id"]))
            elif identity in imported:
                out[i] = Outcome(key, True, ref=imported[identity])
            else:
                out[i] = Outcome(
                    key, False, f"profile import job {job_id} neither imported nor refused it"
                )
        return out

    def _refused(self, job_id: str) -> dict[tuple[str, str], str]:
        """Identity of each refused profile -> Klaviyo's reason."""
        refused = {}
        path = f"api/profile-bulk-import-jobs/{job_id}/import-errors"
        for error in self._pages(path, {"page[size]": IMPORT_PAGE}):
            attrs = error.get("attributes") or {}
            payload = attrs.get("original_payload") or {}
            resource = payload.get("data", payload) if isinstance(payload, dict) else {}
            code, detail = attrs.get("code"), attrs.get("detail") or attrs.get("title")
            refused[_identity(resource)] = f"{code}: {detail}" if code else str(detail)
        return refused

    def _imported(self, job_id: str) -> dict[tuple[str, str], str]:
        """Identity (email, phone) of each profile the job wrote -> its id, for the
        rows that came without one."""
        ids = {}
        path = f"api/profile-bulk-import-jobs/{job_id}/profiles"
        params = {"page[size]": IMPORT_PAGE, "fields[profile]": "email,phone_number"}
        for profile in self._pages(path, params):
            attrs = profile.get("attributes") or {}
            for identity in _identities(attrs):
                ids[identity] = str(profile["id"])
        return ids

    def _resolve(self, rows: Sequence[Row]) -> list[Outcome]:
        """Each row's profile id: from the row when it has one and nothing is to
        be written, else from a bulk import job (which creates the profiles that
        do not exist yet and writes the fields of those that do)."""
        if self.attributes or self.properties:
            return self._bulk_import(rows)
        out: dict[int, Outcome] = {}
        unknown: list[tuple[int, Row]] = []
        for i, row in enumerate(rows):
            ref = self.ref_of(row)
            if ref:
                out[i] = Outcome(self.key_of(row), True, ref=ref)
            else:
                unknown.append((i, row))
        imported = self._bulk_import([row for _, row in unknown])
        for (i, _), outcome in zip(unknown, imported, strict=True):
            out[i] = outcome
        return [out[i] for i in range(len(rows))]


class KlaviyoList(KlaviyoDestination):
    """List membership; the list is found by name, created on the first run."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec, PROFILES_PER_LIST_CALL)
        self.name = spec.target
        self._list_id: str | None = None

    def list_id(self) -> str:
        if self._list_id is None:
            quoted = self.name.replace("\\", "\\\\").replace('"', '\\"')
            found = self._json(
                "GET",
                "api/lists",
                params={"filter": f'equals(name,"{quoted}")', "sort": "created"},
            )
            match = next((d for d in found["data"] if d["attributes"]["name"] == self.name), None)
            if match is None:
                created = self._json(
                    "POST",
                    "api/lists",
                    json={"data": {"type": "list", "attributes": {"name": self.name}}},
                )
                match = created["data"]
            self._list_id = str(match["id"])
        return self._list_id

    def _membership(self, method: str, items: Sequence[tuple[int, str, str]]) -> dict[int, str]:
        """Apply to (index, key, profile id) items; index -> refusal for those
        Klaviyo refused. A refused call is split in halves until the profiles it
        refuses are isolated, so one bad id does not fail its 999 neighbours."""
        if not items:
            return {}
        ids = list(dict.fromkeys(profile_id for _, _, profile_id in items))
        try:
            self._json(
                method,
                f"api/lists/{self.list_id()}/relationships/profiles",
                json={"data": [{"type": "profile", "id": i} for i in ids]},
            )
            return {}
        except ClientError as exc:
            if exc.status == 404:
                self._list_id = None
                raise ConnectorError(
                    f"Klaviyo list '{self.name}' is gone ({klaviyo_error(exc)}); the next run "
                    "finds or creates it again"
                ) from None
            if len(ids) == 1:
                reason = f"Klaviyo refused the list change: {klaviyo_error(exc)}"
                return {i: reason for i, *_ in items}
        half = len(ids) // 2
        first = set(ids[:half])
        return {
            **self._membership(method, [it for it in items if it[2] in first]),
            **self._membership(method, [it for it in items if it[2] not in first]),
        }

    def _apply(self, method: str, resolved: Sequence[Outcome]) -> list[Outcome]:
        out = list(resolved)
        ready = [(i, o.key, o.ref) for i, o in enumerate(resolved) if o.confirmed and o.ref]
        for chunk in chunks(ready, PROFILES_PER_LIST_CALL):
            for i, reason in self._membership(method, chunk).items():
                out[i] = Outcome(out[i].key, False, reason)
        return out

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._apply("POST", self._resolve(rows))

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """Changed fields are written to the profile; the (idempotent) list add is
        repeated in case the row now names another profile."""
        return self._apply("POST", self._resolve(rows))

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        resolved = [
            Outcome(m.key, True, ref=m.ref)
            if m.ref
            else Outcome(m.key, False, "no Klaviyo profile id was recorded for this member")
            for m in members
        ]
        return [Outcome(o.key, o.confirmed, o.reason) for o in self._apply("DELETE", resolved)]

    def lookup(self, rows: Sequence[Row]) -> dict[str, bool | str] | None:
        """For a batch a crashed run may have sent: is each row's profile in the
        list? A row that came without a profile id is found by the email it was
        imported with (`GET /api/profiles?filter=any(email,[...])`, 100 a call):
        the crashed run's import may have created the profile and added it, and
        a row found there comes back with that profile id, so state can address
        it later; one not found is left out (sent again)."""
        held = set(self.members())
        found: dict[str, bool | str] = {}
        by_email: dict[str, list[str]] = {}
        for row in rows:
            ref = self.ref_of(row)
            if ref:
                found[self.key_of(row)] = ref in held
            elif normalize_email(row.get(EMAIL)):
                sent = str(row[EMAIL]).strip()  # as _profile imports it
                by_email.setdefault(sent, []).append(self.key_of(row))
        lowered = {e.lower(): keys for e, keys in by_email.items()}
        for chunk in chunks(sorted(by_email), MEMBERS_PAGE):
            emails = ",".join(json.dumps(e) for e in chunk)
            body = self._json(
                "GET",
                "api/profiles",
                params={"filter": f"any(email,[{emails}])", "page[size]": MEMBERS_PAGE},
            )
            for item in body.get("data") or []:
                email = str((item.get("attributes") or {}).get("email") or "").lower()
                for key in lowered.get(email, []):
                    found[key] = str(item["id"]) if str(item["id"]) in held else False
        return found

    def members(self) -> Iterator[str]:
        path = f"api/lists/{self.list_id()}/relationships/profiles"
        for item in self._pages(path, {"page[size]": MEMBERS_PAGE}):
            yield str(item["id"])


class KlaviyoSuppression(KlaviyoDestination):
    """Email suppressions: added, never lifted by a sync. Klaviyo suppresses an
    address, so the address is the member's ref: two customers at one shared
    inbox are one suppression, sent once."""

    ref_fields = ()

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec, EMAILS_PER_SUPPRESSION_JOB)

    def ref_of(self, row: Row) -> str | None:
        return normalize_email(row.get(EMAIL))

    def _suppress(self, rows: Sequence[Row]) -> list[Outcome]:
        out: dict[int, Outcome] = {}
        emails: list[tuple[int, str, str]] = []
        for i, row in enumerate(rows):
            email = normalize_email(row.get(EMAIL))
            if email is None:
                out[i] = Outcome(self.key_of(row), False, "no usable email", skipped=True)
            else:
                emails.append((i, self.key_of(row), email))
        for chunk in chunks(emails, EMAILS_PER_SUPPRESSION_JOB):
            verdict = self._job([email for _, _, email in chunk])
            for i, key, email in chunk:
                out[i] = Outcome(key, verdict is None, verdict, ref=email)
        return [out[i] for i in range(len(rows))]

    def _job(self, emails: Sequence[str]) -> str | None:
        """Create one suppression job and wait for it; None when it completed,
        else why not."""
        body = {
            "data": {
                "type": "profile-suppression-bulk-create-job",
                "attributes": {
                    "profiles": {
                        "data": [{"type": "profile", "attributes": {"email": e}} for e in emails]
                    }
                },
            }
        }
        try:
            job = self._json("POST", "api/profile-suppression-bulk-create-jobs", json=body)
        except ClientError as exc:
            return f"Klaviyo refused the suppression: {klaviyo_error(exc)}"
        job_id = job["data"]["id"]
        if job["data"]["attributes"]["status"] == "complete":
            return None

        def finished() -> str | None:
            current = self._json("GET", f"api/profile-suppression-bulk-create-jobs/{job_id}")
            value = current["data"]["attributes"]["status"]
            return value if value in ("complete", "cancelled") else None

        final = self.client.poll(finished, what=f"suppression job {job_id}")
        return None if final == "complete" else f"Klaviyo {final} the suppression job"

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._suppress(rows)

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """A changed email is suppressed too; the old one stays suppressed."""
        return self._suppress(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        return [Outcome(m.key, False, NOT_RESUBSCRIBED, skipped=True) for m in members]


class KlaviyoProfileProperties(KlaviyoDestination):
    """Fields upserted onto profiles by bulk import jobs; a removed member has
    those properties unset the same way."""

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec, PROFILES_PER_IMPORT_JOB)

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._bulk_import(rows)

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        return self._bulk_import(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        out: dict[str, Outcome] = {}
        rows = []
        for m in members:
            if not m.ref or not self.properties:
                out[m.key] = Outcome(m.key, True)  # nothing of ours to take away
            else:
                rows.append({self.key: m.key, PROFILE_ID: m.ref})
        for o in self._bulk_import(rows, unset=self.properties):
            out[o.key] = Outcome(o.key, o.confirmed, o.reason)
        return [out[m.key] for m in members]


_DONE = ("complete", "cancelled")


def _identity(resource: Mapping[str, Any]) -> tuple[str, str]:
    """What a profile resource was sent by (as `_profile` builds it: id, else
    email, else phone), so Klaviyo's answer about it can be matched to its row."""
    if resource.get("id"):
        return ("id", str(resource["id"]))
    return next(iter(_identities(resource.get("attributes") or {})), ("", ""))


def _identities(attributes: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = []
    if attributes.get("email"):
        found.append(("email", str(attributes["email"]).strip().lower()))
    if attributes.get("phone_number"):
        found.append(("phone", str(attributes["phone_number"]).strip()))
    return found


def _import_jobs(
    items: Sequence[tuple[int, str, dict[str, Any]]],
) -> Iterator[Sequence[tuple[int, str, dict[str, Any]]]]:
    """Consecutive jobs of at most PROFILES_PER_IMPORT_JOB profiles and
    IMPORT_JOB_MAX_BYTES of JSON (Klaviyo refuses a payload over 5 MB)."""
    start, size = 0, 0
    for n, (_, _, resource) in enumerate(items):
        weight = len(json.dumps(resource)) + 1
        if n > start and (
            n - start >= PROFILES_PER_IMPORT_JOB or size + weight > IMPORT_JOB_MAX_BYTES
        ):
            yield items[start:n]
            start, size = n, 0
        size += weight
    if start < len(items):
        yield items[start:]


class KlaviyoSubscription(KlaviyoDestination):
    """Email marketing consent the person gave elsewhere (a Meta lead form's
    opt-in), recorded in Klaviyo: `POST /api/profile-subscription-bulk-create-jobs`
    (bulk_subscribe_profiles, at most 1,000 profiles a job, 202 and no job to
    read back). The only object that ever subscribes anyone, so it is add-only
    by construction: it never unsubscribes (that is the person's act, and the
    unsubscribe and suppression syncs carry it), and the gate keeps out anyone
    without email consent or unsubscribed anywhere, because Klaviyo lifts an
    UNSUBSCRIBE suppression on subscribing.

    A row's `consented_at` (when the form captured the consent) is sent with
    `historical_import: true`, as the reference requires for a past consent
    (it also skips a double opt-in the person already answered); the spec's
    target names the consent's `custom_source`, stored on Klaviyo's consent record.
    """

    def __init__(self, client: HttpClient, spec: SyncSpec) -> None:
        super().__init__(client, spec, PROFILES_PER_SUBSCRIPTION_JOB)

    @staticmethod
    def _consented_at(row: Row) -> str | None:
        value = row.get(CONSENTED_AT)
        if not present(value):
            return None
        if isinstance(value, datetime):
            return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
        return str(value)

    def _subscriber(self, row: Row) -> dict[str, Any] | None:
        email = normalize_email(row.get(EMAIL))
        if email is None:
            return None  # an email subscription needs the address itself
        marketing: dict[str, Any] = {"consent": "SUBSCRIBED"}
        consented_at = self._consented_at(row)
        if consented_at:
            marketing["consented_at"] = consented_at
        resource: dict[str, Any] = {
            "type": "profile",
            "attributes": {
                "email": str(row[EMAIL]).strip(),
                "subscriptions": {"email": {"marketing": marketing}},
            },
        }
        if self.ref_of(row):
            resource["id"] = self.ref_of(row)
        return resource

    def _job(self, resources: Sequence[dict[str, Any]]) -> str | None:
        """One subscription job; None when Klaviyo accepted it, else why not."""
        historical = all(
            "consented_at" in r["attributes"]["subscriptions"]["email"]["marketing"]
            for r in resources
        )
        if not historical:  # consented_at is refused without historical_import
            for r in resources:
                r["attributes"]["subscriptions"]["email"]["marketing"].pop("consented_at", None)
        body = {
            "data": {
                "type": "profile-subscription-bulk-create-job",
                "attributes": {
                    "custom_source": self.spec.target,
                    "profiles": {"data": list(resources)},
                    "historical_import": historical,
                },
            }
        }
        try:
            self._json("POST", "api/profile-subscription-bulk-create-jobs", json=body)
        except ClientError as exc:
            return f"Klaviyo refused the subscription: {klaviyo_error(exc)}"
        return None

    def _subscribe(self, items: Sequence[tuple[int, str, dict[str, Any]]]) -> dict[int, str]:
        """index -> refusal; a refused job is halved until the refused profile
        is isolated, so one bad address does not hold back 999 consents."""
        if not items:
            return {}
        verdict = self._job([r for _, _, r in items])
        if verdict is None:
            return {}
        if len(items) == 1:
            return {items[0][0]: verdict}
        half = len(items) // 2
        return {**self._subscribe(items[:half]), **self._subscribe(items[half:])}

    def add(self, rows: Sequence[Row]) -> list[Outcome]:
        out: list[Outcome] = []
        ready: list[tuple[int, str, dict[str, Any]]] = []
        for i, row in enumerate(rows):
            resource = self._subscriber(row)
            key = self.key_of(row)
            if resource is None:
                out.append(Outcome(key, False, "no usable email to subscribe", skipped=True))
            else:
                out.append(Outcome(key, True, ref=self.ref_of(row)))
                ready.append((i, key, resource))
        for chunk in chunks(ready, PROFILES_PER_SUBSCRIPTION_JOB):
            for i, reason in self._subscribe(chunk).items():
                out[i] = Outcome(out[i].key, False, reason)
        return out

    def update(self, rows: Sequence[Row]) -> list[Outcome]:
        """A changed address or consent time: subscribing again is idempotent."""
        return self.add(rows)

    def remove(self, members: Sequence[Member]) -> list[Outcome]:
        return [Outcome(m.key, False, NOT_UNSUBSCRIBED, skipped=True) for m in members]


_OBJECTS = {
    "list": KlaviyoList,
    "suppression": KlaviyoSuppression,
    "profile_properties": KlaviyoProfileProperties,
    "subscription": KlaviyoSubscription,
}


def make_destination(spec: SyncSpec, env: Mapping[str, str]) -> KlaviyoDestination:
    cls = adapter_for("Klaviyo", spec.object, spec.name, _OBJECTS)
    return cls(make_client(KlaviyoSettings.from_env(env)), spec)
