"""The SMPP 3.4 client against a real SMPP peer on loopback (sqm.notify.smsc): encoding and
concatenation, the window, keep-alive, reconnects, the rate limit and receipts. Nothing here
measures how fast anything is; where time matters the assertions count events."""

from __future__ import annotations

import socket
import threading

import pytest
from smpplib import consts
from smpplib import smpp as codec

from sqm.notify.flow import BackOff, TokenBucket
from sqm.notify.pdu import SmppError, encode_parts, parse_receipt
from sqm.notify.rules import split_sms
from sqm.notify.smpp import Outgoing, SmppClient, SmppConfig
from sqm.notify.smsc import Smsc

CHINESE_150 = (
    "尊敬的客户：您所在的南京市玄武区中山路片区因光缆被挖断，宽带网络暂时中断，我们的抢修人员"
    "已到达现场全力抢修，预计今天18:30前恢复。给您带来不便，敬请谅解。如有疑问请致电10086，"
    "感谢您的理解与支持！故障单号FE2026112200017，恢复后将短信通知您。请保持光猫通电状态谢谢。【中国移动】"
)


def messages(count: int, text: str = "宽带故障通知", start: int = 1) -> list[Outgoing]:
    return [Outgoing(ref=i, mobile=f"139{i:08d}", text=text) for i in range(start, start + count)]


def feed_of(items: list[Outgoing]):
    queue = list(items)

    def feed(n: int) -> list[Outgoing]:
        taken = queue[:n]
        del queue[:n]
        return taken

    return feed


def send_all(client: SmppClient, items: list[Outgoing]):
    results, receipts = [], []
    client.send(feed_of(items), results.extend, receipts.extend)
    return results, receipts


# --- encoding and concatenation ----------------------------------------------------------


def test_a_150_character_chinese_text_arrives_as_3_ucs2_parts_with_one_reference(
    smsc, client_factory
):
    assert len(CHINESE_150) == 150
    client = client_factory(smsc)
    result = client.submit(Outgoing(ref=7, mobile="13912345678", text=CHINESE_150))

    assert result.ok and result.parts == 3 and len(result.smsc_ids) == 3
    parts = smsc.received()
    assert len(parts) == 3
    assert {p.data_coding for p in parts} == {8}  # UCS-2
    assert {p.esm_class for p in parts} == {0x40}  # UDH indicator
    assert len({p.udh[0] for p in parts}) == 1  # one reference
    assert [p.udh[1:] for p in parts] == [(3, 1), (3, 2), (3, 3)]
    assert [p.short_message[:3] for p in parts] == [b"\x05\x00\x03"] * 3  # IEI 0x00, 8-bit ref
    assert [p.text for p in parts] == split_sms(CHINESE_150)
    assert [len(p.text) for p in parts] == [67, 67, 16]
    reassembled = "".join(p.text for p in sorted(parts, key=lambda p: p.udh[2]))
    assert reassembled == CHINESE_150
    assert {p.destination for p in parts} == {"13912345678"}
    assert {p.source for p in parts} == {"10086"}
    assert result.smsc_ids == [p.message_id for p in parts]


def test_a_text_of_70_chinese_characters_is_one_part_without_a_header(smsc, client_factory):
    text = CHINESE_150[:70]
    client = client_factory(smsc)
    result = client.submit(Outgoing(ref=1, mobile="13900000001", text=text))

    assert result.parts == 1
    (part,) = smsc.received()
    assert part.udh is None and part.esm_class == 0 and part.data_coding == 8
    assert part.short_message == text.encode("utf-16-be") and part.text == text


def test_consecutive_long_messages_get_different_references():
    references = {encode_parts(CHINESE_150, ref)[2][0][3] for ref in range(3)}
    assert len(references) == 3


def test_plain_latin_text_goes_in_the_smsc_default_alphabet(smsc, client_factory):
    client = client_factory(smsc)
    client.submit(Outgoing(ref=1, mobile="13900000001", text="Broadband restored @ 09:00"))
    (part,) = smsc.received()
    assert part.data_coding == 0 and part.text == "Broadband restored @ 09:00"


def test_every_part_asks_for_a_delivery_receipt(smsc, client_factory):
    client_factory(smsc).submit(Outgoing(ref=1, mobile="13900000001", text=CHINESE_150))
    assert {p.registered_delivery for p in smsc.received()} == {1}


# --- the window ----------------------------------------------------------------------------


@pytest.mark.parametrize("window", [1, 4])
def test_the_smsc_never_sees_more_unanswered_submits_than_the_window(
    smsc_factory, client_factory, window
):
    # The SMSC answers each submit_sm only after a while, so unanswered ones pile up to
    # exactly the window (pipelining) and never beyond.
    smsc = smsc_factory(latency=0.01, receipts=False)
    client = client_factory(smsc, window=window)
    results, _ = send_all(client, messages(30))

    assert len(results) == 30 and all(r.ok for r in results)
    assert smsc.max_unanswered == window
    assert client.stats.max_outstanding == window
    assert len(smsc.received()) == 30


def test_long_messages_count_each_part_against_the_window(smsc_factory, client_factory):
    smsc = smsc_factory(latency=0.01, receipts=False)
    client = client_factory(smsc, window=4)
    results, _ = send_all(client, messages(6, CHINESE_150))

    assert [r.parts for r in results] == [3] * 6
    assert smsc.max_unanswered <= 4 and len(smsc.received()) == 18


def test_responses_are_matched_by_sequence_number_not_by_order(smsc_factory, client_factory):
    smsc = smsc_factory(latency=0.005, receipts=False)
    client = client_factory(smsc, window=5)
    results, _ = send_all(client, messages(20))

    by_id = {p.message_id: p.destination for p in smsc.received()}
    for result in results:
        assert by_id[result.smsc_ids[0]] == f"139{result.ref:08d}"


# --- keep-alive ----------------------------------------------------------------------------


def test_enquire_link_is_sent_when_the_link_is_idle_and_answered(smsc, client_factory):
    client = client_factory(smsc, enquire_seconds=0.05)
    for _ in range(200):
        client.poll(0.05)
        if client.stats.enquire_links_answered >= 2:
            break
    assert smsc.enquire_links >= 2
    assert client.stats.enquire_links_answered >= 2
    assert client.stats.binds == 1 and client.stats.connections_lost == 0


def test_no_enquire_link_while_messages_flow(smsc, client_factory):
    client = client_factory(smsc, enquire_seconds=30)
    send_all(client, messages(50))
    assert smsc.enquire_links == 0


def test_a_silent_smsc_is_detected_and_the_connection_opened_again(client_factory):
    # A peer that binds but then never answers: the enquire_link goes unanswered, the
    # client gives up on the link after response_timeout and binds again.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    binds = []

    def serve():
        listener.settimeout(10)
        for _ in range(2):
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            data = conn.recv(4096)
            bind = codec.parse_pdu(data, client=_ParseOnly(), allow_unknown_opt_params=True)
            binds.append(bind.command)
            resp = codec.make_pdu("bind_transceiver_resp", client=_ParseOnly(), system_id="x")
            resp.sequence = bind.sequence
            conn.sendall(resp.generate())
            threading.Event().wait(0.5 if len(binds) == 1 else 0)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = SmppClient(
        SmppConfig(
            "127.0.0.1",
            port,
            enquire_seconds=0.02,
            response_timeout=0.1,
            backoff_initial=0.01,
            connect_attempts=3,
        )
    )
    client.open()
    for _ in range(100):
        if client.stats.binds >= 2:
            break
        try:
            client.poll(0.05)
        except SmppError:
            break
    thread.join(timeout=5)
    listener.close()
    assert binds == ["bind_transceiver", "bind_transceiver"]
    assert client.stats.enquire_links_sent >= 1 and client.stats.enquire_links_answered == 0
    assert client.stats.connections_lost >= 1


class _ParseOnly:
    sequence = 0

    def next_sequence(self) -> int:
        return 0


# --- reconnects ------------------------------------------------------------------------


def test_after_the_smsc_drops_the_connection_the_client_binds_again_and_resubmits(
    smsc_factory, client_factory
):
    # The SMSC closes the link on receiving the 5th submit_sm, without answering it (nor
    # any other it has not answered yet): those are written again after the new bind.
    smsc = smsc_factory(latency=0.005, receipts=False, drop_after=5)
    client = client_factory(smsc, window=3)
    results, _ = send_all(client, messages(12))

    assert sorted(r.ref for r in results) == list(range(1, 13))
    assert all(r.ok and r.smsc_ids for r in results)
    assert client.stats.binds == 2 and client.stats.connections_lost == 1
    assert 1 <= client.stats.resubmitted <= 3  # at most the window
    received = [p.destination for p in smsc.received()]
    assert set(received) == {f"139{i:08d}" for i in range(1, 13)}
    # Resubmitted ones may reach the SMSC twice (it may have read some before closing).
    assert 12 < len(received) <= 12 + client.stats.resubmitted
    assert [b[1] for b in smsc.binds] == ["bind_transceiver", "bind_transceiver"]


def test_while_the_smsc_is_down_the_client_retries_with_growing_delays(smsc_factory):
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on PORT now
    client = SmppClient(
        SmppConfig("127.0.0.1", port, rate=0, backoff_initial=0.02, backoff_max=0.08)
    )
    client.backoff.jitter = 0
    result = {}

    def submit():
        result["r"] = client.submit(Outgoing(ref=1, mobile="13900000001", text="恢复通知"))

    thread = threading.Thread(target=submit, daemon=True)
    thread.start()
    for _ in range(500):
        if client.stats.connect_failures >= 3:
            break
        threading.Event().wait(0.01)
    smsc = smsc_factory(port=port)
    thread.join(timeout=10)
    client.close()

    assert client.stats.connect_failures >= 3
    assert result["r"].ok and len(smsc.received()) == 1
    assert client.backoff.failures == 0  # reset after the bind


def test_the_back_off_doubles_up_to_its_maximum():
    backoff = BackOff(initial=1, maximum=30, jitter=0)
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next() == 1


def test_a_refused_bind_is_an_error_after_the_allowed_attempts(smsc_factory):
    smsc = smsc_factory(system_id="sqm", password="right")
    client = SmppClient(
        SmppConfig(
            "127.0.0.1",
            smsc.port,
            system_id="sqm",
            password="wrong",
            connect_attempts=2,
            backoff_initial=0.01,
        )
    )
    with pytest.raises(SmppError, match="Invalid Password"):
        client.open()
    assert client.stats.connect_failures == 2 and smsc.binds == []


# --- rate limit ----------------------------------------------------------------------------


def test_the_token_bucket_grants_rate_tokens_a_second_after_a_burst():
    now = [0.0]
    bucket = TokenBucket(rate=50, clock=lambda: now[0])  # burst 5
    granted = [bucket.take() for _ in range(10)]
    assert granted.count(True) == 5
    assert bucket.wait() == pytest.approx(1 / 50)
    counts = []
    for _ in range(100):  # 1 s in steps of 10 ms
        now[0] += 0.01
        counts.append(sum(bucket.take() for _ in range(10)))
    assert sum(counts) == 50
    assert TokenBucket(rate=0).available() > 10**6  # no limit


def test_the_client_writes_no_faster_than_its_rate(smsc_factory, client_factory):
    # 25 messages at 50/s with a burst of 5: the last one cannot reach the SMSC before
    # 20 tokens have been earned. The SMSC stamps each arrival; only a lower bound is
    # checked, so a slow machine cannot make this fail.
    smsc = smsc_factory(receipts=False)
    client = client_factory(smsc, rate=50, window=10)
    send_all(client, messages(25))
    arrivals = [p.received for p in smsc.received()]
    assert len(arrivals) == 25
    assert arrivals[-1] - arrivals[0] >= 0.9 * (25 - 5) / 50


# --- errors and receipts -------------------------------------------------------------------


def test_a_number_the_smsc_refuses_comes_back_as_an_error(smsc_factory, client_factory):
    smsc = smsc_factory(reject={"13900000002"})
    client = client_factory(smsc)
    results, _ = send_all(client, messages(3))

    by_ref = {r.ref: r for r in results}
    assert by_ref[1].ok and by_ref[3].ok
    assert not by_ref[2].ok and "0x00000045" in by_ref[2].error and not by_ref[2].permanent


def test_receipts_come_back_on_a_transceiver_bind(smsc_factory, client_factory):
    smsc = smsc_factory(fail={"13900000002"})
    client = client_factory(smsc, bind="transceiver")
    results, receipts = send_all(client, messages(3))
    for _ in range(100):
        if len(receipts) >= 3:
            break
        receipts += client.poll(0.02)

    ids = {r.ref: r.smsc_ids[0] for r in results}
    stats = {r.smsc_id: r.stat for r in receipts}
    assert stats == {ids[1]: "DELIVRD", ids[2]: "UNDELIV", ids[3]: "DELIVRD"}
    assert all(r.final for r in receipts)


def test_a_transmitter_bind_gets_no_receipts(smsc_factory, client_factory):
    smsc = smsc_factory()
    client = client_factory(smsc, bind="transmitter")
    send_all(client, messages(2))
    assert client.poll(0.1) == []
    assert [b[1] for b in smsc.binds] == ["bind_transmitter"]


def test_receipt_text_is_read_with_or_without_the_tlvs():
    def deliver(text: bytes, **tlvs):
        pdu = codec.make_pdu(
            "deliver_sm", client=_ParseOnly(), esm_class=4, short_message=text, **tlvs
        )
        return codec.parse_pdu(pdu.generate(), client=_ParseOnly(), allow_unknown_opt_params=True)

    text = (
        b"id:ab12 sub:001 dlvrd:000 submit date:2611220800 done date:2611220801 "
        b"stat:UNDELIV err:012 text:x"
    )
    receipt = parse_receipt(deliver(text))
    assert (receipt.smsc_id, receipt.stat, receipt.err) == ("ab12", "UNDELIV", "012")
    assert receipt.final and not receipt.delivered
    tlv_only = parse_receipt(deliver(b"", receipted_message_id="ff01", message_state=2))
    assert (tlv_only.smsc_id, tlv_only.stat) == ("ff01", "DELIVRD")
    assert parse_receipt(deliver(b"id:1 stat:ENROUTE")).final is False
    plain = codec.make_pdu("deliver_sm", client=_ParseOnly(), esm_class=0, short_message=b"hi")
    assert parse_receipt(plain) is None


def test_the_smsc_answers_unknown_commands_with_generic_nack(smsc):
    with socket.create_connection(("127.0.0.1", smsc.port), timeout=5) as sock:
        query = codec.make_pdu("query_sm", client=_ParseOnly(), message_id="1")
        query.sequence = 42
        sock.sendall(query.generate())
        reply = codec.parse_pdu(sock.recv(4096), client=_ParseOnly())
    assert reply.command == "generic_nack" and reply.sequence == 42
    assert reply.status == consts.SMPP_ESME_RINVCMDID


def test_the_smsc_records_submits_as_json_lines(tmp_path, client_factory):
    record = tmp_path / "smsc.jsonl"
    with Smsc(record=record) as smsc:
        client_factory(smsc).submit(Outgoing(ref=1, mobile="13900000001", text=CHINESE_150))
        client_factory(smsc).close()
    import json

    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [line["udh"][2] for line in lines] == [1, 2, 3]
    assert "".join(line["text"] for line in lines) == CHINESE_150
