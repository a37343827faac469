"""Image-to-sound JWTs are judged by the application clock, like every other token."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

LOGIN = "/image-to-sound/api/login"
REFRESH = "/image-to-sound/api/refresh"


def test_jwt_minted_ahead_of_the_wall_clock_is_accepted(client, modern, clock):
    # A host whose clock runs ahead (here: a day) mints a token whose ``iat`` lies in
    # the wall clock's future; it must still authenticate and refresh, as the
    # expiry is checked against the application clock, not the wall clock.
    clock.current = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)
    mobile = "13800138000"
    response = client.post(LOGIN, json={"mobile": mobile, "rawCode": modern.code(mobile)})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    refreshed = client.post(REFRESH, json={"refreshToken": data["refreshTokenRes"]["refreshToken"]})
    assert refreshed.status_code == 200, refreshed.get_json()
    access = refreshed.get_json()["data"]["accessTokenRes"]["accessToken"]
    assert modern.logout(access).status_code == 200
