"""The invoice story of docs/runtime.md end to end over HTTP: an event becomes a run, the run stops at
an approval checkpoint, the approver is mailed through a real SMTP relay, approves, and the run pays
the invoice through the plugin bridge exactly once. Also: a small invoice that needs no approval,
a rejected one, a checkpoint whose assignee has no address, and an appliance without a relay."""
import re

import pytest

from api_assertions import tag
from runtime_support import (INVOICE_IR, RUN_TIMEOUT, FakePlugin, SmtpSink, addresses,
                             assert_journal_well_formed, audit_entries, bundle, checkpoint_flow, checkpoints_of_run,
                             core_events, get_checkpoint, invoice, journal_entry, journal_keys, list_checkpoints, make_person,
                             notifications, open_checkpoint, payments_answer, post_event, resolve,
                             seconds_between, server_admin, start_core, start_server, wait_run, wait_until)

PUBLIC_BASE_URL = "https://approvals.example.test"
MAIL_FROM = "scaicore@example.test"


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def payments():
    plugin = FakePlugin(payments_answer)
    yield plugin
    plugin.stop()


@pytest.fixture(scope="module")
def story_server(smtp, payments):
    running = start_server({
        "notify.smtp.host": "127.0.0.1",
        "notify.smtp.port": smtp.port,
        "notify.smtp.security": "none",
        "notify.from": MAIL_FROM,
        "notify.public_base_url": PUBLIC_BASE_URL,
        "plugins.endpoints": f"payments={payments.url('/pay')}",
    })
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(story_server):
    return server_admin(story_server)


@pytest.fixture(scope="module")
def alice(story_server):
    """The only approver of the tenant, with an e-mail address."""
    name = f"alice-{tag()}"
    return make_person(story_server, "approver", name=name, email_address=f"{name}@example.test")


@pytest.fixture(scope="module")
def invoice_core(admin, alice):
    return start_core(admin.api, INVOICE_IR, name=f"Invoices {tag()}", plugins=["payments"])


def expected_payment(core, run_id, inv):
    return {"plugin": "payments", "action": "pay",
            "args": {"invoice": inv["id"], "amount": inv["amount"], "currency": inv["currency"], "payee": inv["vendor"]},
            "core_id": core["id"], "run_id": run_id, "step": "pay"}


def test_large_invoice_is_approved_by_mail_and_paid_once(story_server, smtp, payments, admin, alice, invoice_core):
    api = admin.api
    inv = invoice(4200)
    title = f"Approve invoice {inv['id']} (4200 EUR)"

    # 1. The event is accepted with one run.
    accepted = post_event(api, invoice_core["id"], "invoice.received", inv)
    run_id = accepted["run_id"]

    # 2. The run stops at the approval checkpoint.
    run = wait_run(api, run_id, "suspended", timeout=RUN_TIMEOUT)
    assert run["core_id"] == invoice_core["id"] and run["flow"] == "on_invoice", run
    assert run["trigger"]["type"] == "event" and run["trigger"]["event"] == "invoice.received", run["trigger"]
    assert run["trigger"]["event_id"] == accepted["event_id"], run["trigger"]
    assert run["input"] == inv, run["input"]
    assert run["output"] is None and run["error"] is None and run["finished_at"] is None, run
    assert run["started_by"] == admin.user_id, f"started_by should be the poster's user id {admin.user_id}: {run}"
    checkpoint_id = run["checkpoint_id"]
    assert checkpoint_id and checkpoint_id.startswith("chk_"), run
    assert journal_keys(run) == ["classify"], f"only the model call has run before the checkpoint: {run['journal']}"
    expected_prompt = f"Invoice {inv['id']} from {inv['vendor']} for 4200 {inv['currency']}: {inv['text']}"
    assert journal_entry(run, "classify")["result"] == expected_prompt, \
        f"the unrouted model is answered by the builtin echo provider: {run['journal'][0]}"

    checkpoint = get_checkpoint(api, checkpoint_id)
    assert checkpoint["core_id"] == invoice_core["id"] and checkpoint["run_id"] == run_id, checkpoint
    assert (checkpoint["step"], checkpoint["kind"], checkpoint["status"]) == ("approval", "approval", "open"), checkpoint
    assert checkpoint["title"] == title, checkpoint
    assert inv["vendor"] in checkpoint["prompt"] and checkpoint["prompt"].endswith("Pay it?"), checkpoint["prompt"]
    assert checkpoint["schema"] is None, checkpoint
    assert (checkpoint["assignee"], checkpoint["escalate_to"], checkpoint["escalated"]) == ("role:approver", "role:admin", False), checkpoint
    assert checkpoint["required_approvals"] == 1 and checkpoint["approvals"] == [], checkpoint
    assert checkpoint["resolution"] is None and checkpoint["resolved_by"] is None and checkpoint["resolved_at"] is None, checkpoint
    assert abs(seconds_between(checkpoint["created_at"], checkpoint["expires_at"]) - 24 * 3600) < 120, \
        f"timeout PT24H: expires_at should be a day after created_at: {checkpoint}"
    assert checkpoint["url"].endswith(f"/v1/modules/scaicore/checkpoints/{checkpoint_id}"), checkpoint["url"]

    # 3. The approver sees it in their queue.
    mine = [item["id"] for item in list_checkpoints(alice.api, assignee="me", status="open")]
    assert checkpoint_id in mine, f"GET /checkpoints?assignee=me as the approver should list {checkpoint_id}: {mine}"
    assert get_checkpoint(alice.api, checkpoint_id) == checkpoint

    # 4. …and gets a mail: title, Core, deadline, and a link without any secret.
    mail = smtp.wait_for(lambda m: alice.email in m.rcpt_tos and checkpoint_id in m.text, what=f"the mail to {alice.email}")
    assert mail.rcpt_tos == [alice.email], f"the only approver with an address is the only recipient: {mail.rcpt_tos}"
    assert MAIL_FROM in mail.mail_from or MAIL_FROM in str(mail.message.get("From", "")), (mail.mail_from, mail.message.get("From"))
    assert alice.email in str(mail.message.get("To", "")), mail.message.get("To")
    assert title in mail.text, f"the mail names the checkpoint's title {title!r}:\n{mail.text}"
    assert invoice_core["name"] in mail.text or invoice_core["id"] in mail.text, f"the mail names the Core:\n{mail.text}"
    expires = checkpoint["expires_at"]
    assert expires[:10] in mail.text and expires[11:16] in mail.text, f"the mail names the deadline {expires}:\n{mail.text}"
    links = re.findall(r"https?://[^\s<>\"')]+", mail.text)
    wanted_link = f"{PUBLIC_BASE_URL}/v1/modules/scaicore/checkpoints/{checkpoint_id}"
    checkpoint_links = [link for link in links if "/checkpoints/" in link]
    assert checkpoint_links and all(link.rstrip(".,;") == wanted_link for link in checkpoint_links), \
        f"the link is exactly {wanted_link} (public base URL, no query, no token): {links}"
    for secret in (admin.secret, alice.secret):
        assert secret not in mail.raw.decode("utf-8", "replace") and secret not in mail.text, "a token secret leaked into the mail"
    assert "scai_" not in mail.text and "token=" not in mail.text.lower(), f"the mail carries no token:\n{mail.text}"

    # 5. The notification row says it was sent.
    def sent():
        rows = notifications(api, checkpoint_id=checkpoint_id)
        return rows if rows and all(row["status"] == "sent" for row in rows) else None
    rows = wait_until(sent, what=lambda last: f"the notification of {checkpoint_id} to be sent (last {last})")
    assert len(rows) == 1, rows
    note = rows[0]
    assert note["kind"] == "checkpoint.opened" and note["core_id"] == invoice_core["id"], note
    assert note["checkpoint_id"] == checkpoint_id and note["recipient"] == "role:approver", note
    assert addresses(note) == [alice.email], note
    assert title in note["subject"] or title in note["body"], note
    assert wanted_link in note["body"], note["body"]
    assert note["attempts"] >= 1 and note["sent_at"] and note["last_error"] is None, note

    # 6. The approver approves.
    resolved = resolve(alice.api, checkpoint_id, decision="approved", comment="ok for Q4 budget")
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["id"] == checkpoint_id and body["status"] == "resolved", body
    assert [(a["by"], a["decision"], a["comment"]) for a in body["approvals"]] == [(alice.user_id, "approved", "ok for Q4 budget")], body
    expected_resolution = {"decision": "approved", "approved": True, "data": {}, "comment": "ok for Q4 budget",
                           "by": [alice.user_id], "timed_out": False}
    assert body["resolution"] == expected_resolution, body
    assert body["resolved_by"] in (alice.user_id, [alice.user_id]), body
    assert body["resolved_at"], body

    # 7. The run completes and has paid once.
    done = wait_run(api, run_id, "completed", timeout=RUN_TIMEOUT)
    assert done["output"] == {"invoice": inv["id"], "paid": True, "receipt": {"receipt": f"rcpt-{inv['id']}"}}, done["output"]
    assert done["error"] is None and done["finished_at"], done
    calls = payments.calls_for(lambda b: (b.get("args") or {}).get("invoice") == inv["id"])
    assert len(calls) == 1, f"the payments provider must be called exactly once for {inv['id']}: {calls}"
    assert calls[0].path == "/pay", calls[0]
    assert calls[0].body == expected_payment(invoice_core, run_id, inv), calls[0].body
    assert calls[0].idempotency_key == f"{run_id}:pay", calls[0].headers

    # 8. The journal has every effect, in order, with its timing.
    assert journal_keys(done) == ["classify", "approval", "pay", "paid"], done["journal"]
    assert_journal_well_formed(done)
    assert journal_entry(done, "approval")["result"] == expected_resolution, done["journal"]
    assert journal_entry(done, "pay")["result"] == {"receipt": f"rcpt-{inv['id']}"}, done["journal"]

    # The emitted invoice.paid event is recorded (nobody subscribes: unmatched) once.
    paid_events = [e for e in core_events(api, invoice_core["id"]) if e["event_name"] == "invoice.paid" and e["source_run_id"] == run_id]
    assert len(paid_events) == 1, paid_events
    assert paid_events[0]["source"] == "emit" and paid_events[0]["status"] == "unmatched" and paid_events[0]["run_ids"] == [], paid_events
    assert paid_events[0]["data"]["id"] == inv["id"] and paid_events[0]["data"]["receipt"] == {"receipt": f"rcpt-{inv['id']}"}, paid_events

    # The decision is audited, and the checkpoint has left the approver's open queue.
    actions = [(entry["action"], entry["actor"]) for entry in audit_entries(api, checkpoint_id)]
    assert ("checkpoint.decide", alice.user_id) in actions and ("checkpoint.resolve", alice.user_id) in actions, actions
    still_open = [item["id"] for item in list_checkpoints(alice.api, assignee="me", status="open")]
    assert checkpoint_id not in still_open, still_open


def test_small_invoice_is_paid_without_a_checkpoint(payments, admin, invoice_core):
    api = admin.api
    inv = invoice(300)
    accepted = post_event(api, invoice_core["id"], "invoice.received", inv)
    run = wait_run(api, accepted["run_id"], "completed", timeout=RUN_TIMEOUT)
    assert run["output"] == {"invoice": inv["id"], "paid": True, "receipt": {"receipt": f"rcpt-{inv['id']}"}}, run["output"]
    assert run["checkpoint_id"] is None, run
    assert journal_keys(run) == ["classify", "pay", "paid"], run["journal"]
    assert_journal_well_formed(run)
    assert checkpoints_of_run(api, invoice_core["id"], run["id"]) == [], "an invoice below 1000 opens no checkpoint"
    calls = payments.calls_for(lambda b: (b.get("args") or {}).get("invoice") == inv["id"])
    assert len(calls) == 1 and calls[0].idempotency_key == f"{run['id']}:pay", calls
    assert calls[0].body == expected_payment(invoice_core, run["id"], inv), calls[0].body


def test_rejected_invoice_is_not_paid(smtp, payments, admin, alice, invoice_core):
    api = admin.api
    inv = invoice(5000)
    run, checkpoint = open_checkpoint(api, invoice_core["id"], "invoice.received", inv)
    rejected = resolve(alice.api, checkpoint["id"], decision="rejected", comment="duplicate of last week's")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "resolved", rejected.json()
    assert rejected.json()["resolution"]["decision"] == "rejected", rejected.json()
    done = wait_run(api, run["id"], "completed", timeout=RUN_TIMEOUT)
    assert done["output"] == {"invoice": inv["id"], "paid": False, "receipt": None}, done["output"]
    assert journal_keys(done) == ["classify", "approval", "refused"], done["journal"]
    assert journal_entry(done, "approval")["result"] == {
        "decision": "rejected", "approved": False, "data": {}, "comment": "duplicate of last week's",
        "by": [alice.user_id], "timed_out": False}, done["journal"]
    assert payments.calls_for(lambda b: (b.get("args") or {}).get("invoice") == inv["id"]) == [], "a rejected invoice is not paid"
    refusals = [e for e in core_events(api, invoice_core["id"]) if e["event_name"] == "invoice.rejected" and e["source_run_id"] == run["id"]]
    assert len(refusals) == 1, refusals
    assert refusals[0]["data"] == {"id": inv["id"], "by": [alice.user_id], "comment": "duplicate of last week's"}, refusals[0]


def test_assignee_without_any_address_is_stored_with_a_reason(smtp, admin, alice):
    """Nobody holds a developer token, so a checkpoint for role:developer has no address: its
    notification is `stored` with `last_error`, and no mail goes out for it."""
    api = admin.api
    ir = bundle("nobody-to-mail", {"ask": checkpoint_flow("nobody.asked", assignee="role:developer", title="Nobody {{ input.n }}")})
    core = start_core(api, ir)
    n = tag()
    run, checkpoint = open_checkpoint(api, core["id"], "nobody.asked", {"n": n})
    assert checkpoint["assignee"] == "role:developer", checkpoint
    rows = wait_until(lambda: [row for row in notifications(api, checkpoint_id=checkpoint["id"]) if row["status"] != "pending"] or None,
                      what="the notification of a checkpoint without addresses to settle")
    assert len(rows) == 1, rows
    note = rows[0]
    assert note["kind"] == "checkpoint.opened" and note["status"] == "stored", note
    assert addresses(note) == [], note
    assert isinstance(note["last_error"], str) and note["last_error"], f"last_error should say why nothing was sent: {note}"
    assert note["sent_at"] is None, note
    assert not [m for m in smtp.received() if checkpoint["id"] in m.text], "no mail for a checkpoint without addresses"
    stored = [row["id"] for row in notifications(api, status="stored")]
    assert note["id"] in stored, stored


# --- an appliance without an SMTP relay --------------------------------------------------------

@pytest.fixture(scope="module")
def quiet_server(payments):
    running = start_server({"plugins.endpoints": f"payments={payments.url('/pay')}"})
    yield running
    running.stop()


def test_without_relay_notification_is_stored_and_visible(quiet_server, payments):
    admin = server_admin(quiet_server)
    name = f"alice-{tag()}"
    approver = make_person(quiet_server, "approver", name=name, email_address=f"{name}@example.test")
    core = start_core(admin.api, INVOICE_IR, name=f"Quiet invoices {tag()}", plugins=["payments"])
    inv = invoice(4200)
    run, checkpoint = open_checkpoint(admin.api, core["id"], "invoice.received", inv)

    rows = wait_until(lambda: notifications(admin.api, checkpoint_id=checkpoint["id"]) or None,
                      what="the notification row of the new checkpoint")
    assert len(rows) == 1, rows
    note = rows[0]
    assert note["kind"] == "checkpoint.opened" and note["status"] == "stored", f"without a relay a notification is stored: {note}"
    assert note["core_id"] == core["id"] and note["recipient"] == "role:approver", note
    assert addresses(note) == [approver.email], note
    assert note["sent_at"] is None and note["attempts"] == 0, note
    assert checkpoint["title"] in note["subject"] or checkpoint["title"] in note["body"], note
    assert f"/v1/modules/scaicore/checkpoints/{checkpoint['id']}" in note["body"], note["body"]
    assert approver.secret not in note["body"] and quiet_server.token not in note["body"], "a token secret leaked into the notification"
    assert note["id"] in [row["id"] for row in notifications(admin.api, status="stored")]
    assert note["id"] not in [row["id"] for row in notifications(admin.api, status="sent")]

    # The approver still finds and resolves it through the API; the run pays.
    mine = [item["id"] for item in list_checkpoints(approver.api, assignee="me")]
    assert checkpoint["id"] in mine, mine
    assert resolve(approver.api, checkpoint["id"], decision="approved").status_code == 200
    done = wait_run(admin.api, run["id"], "completed", timeout=RUN_TIMEOUT)
    assert done["output"] == {"invoice": inv["id"], "paid": True, "receipt": {"receipt": f"rcpt-{inv['id']}"}}, done["output"]
    assert notifications(admin.api, checkpoint_id=checkpoint["id"])[0]["status"] == "stored"
