"""The stream's WebSocket (SPEC sections 4 and 5): authentication at the upgrade or by the
Overshoot first message, 1008 for a stream the key may not see, and 1001 with
"stream ended: <reason>" when the stream ends (delete, lease expiry)."""

import json
import time

import pytest
import websocket


def ws_url(server, path):
    return f"ws://127.0.0.1:{server.port}{path}"


def recv_close(ws, timeout=10.0):
    """Reads until the server's close frame; returns (code, reason)."""
    ws.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op, data = ws.recv_data(control_frame=True)
        if op == websocket.ABNF.OPCODE_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            return code, data[2:].decode("utf-8", "replace")
    raise AssertionError("no close frame")


def test_delete_closes_readers_with_1001(server, api):
    s = api.create_test_pattern(width=160, height=120, fps=10)
    ws = websocket.create_connection(ws_url(server, f"/v1/ws/streams/{s['id']}"),
                                     header=[f"Authorization: Bearer {server.keys[0]}"])
    try:
        time.sleep(0.2)  # the session is open and subscribed before the delete
        assert api.delete(f"/v1/streams/{s['id']}").status_code == 200
        assert recv_close(ws) == (1001, "stream ended: client_requested")
    finally:
        ws.close()


def test_first_message_auth_and_lease_expiry(server, api):
    s = api.create_test_pattern(width=160, height=120, fps=10, lease={"ttl_seconds": 2})
    ws = websocket.create_connection(ws_url(server, f"/v0.2/ws/streams/{s['id']}"))
    try:
        ws.send(json.dumps({"api_key": server.keys[0]}))
        # The manager's tick notices the expiry within about a second of it.
        assert recv_close(ws, timeout=15) == (1001, "stream ended: lease_expired")
    finally:
        ws.close()


def test_other_keys_stream_and_bad_key_close_with_1008(server, api):
    s = api.create_test_pattern(width=160, height=120, fps=10)
    other = websocket.create_connection(ws_url(server, f"/v1/ws/streams/{s['id']}"),
                                        header=[f"Authorization: Bearer {server.keys[1]}"])
    try:
        code, reason = recv_close(other)
        assert code == 1008 and "not found" in reason
    finally:
        other.close()
    bad = websocket.create_connection(ws_url(server, f"/v0.2/ws/streams/{s['id']}"))
    try:
        bad.send(json.dumps({"api_key": "sk-wrong"}))
        assert recv_close(bad)[0] == 1008
    finally:
        bad.close()


def test_upgrade_with_a_wrong_bearer_is_refused_before_upgrading(server, api):
    s = api.create_test_pattern(width=160, height=120, fps=10)
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(ws_url(server, f"/v1/ws/streams/{s['id']}"),
                                    header=["Authorization: Bearer sk-wrong"])
    assert e.value.status_code == 401
