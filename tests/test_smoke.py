def test_code_login_smoke(modern, client):
    data = modern.tokens("13800138000")
    assert data["is_new_user"] is True
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.get_json()["code"] == 10002
    r = client.get("/api/auth/nothing")
    assert r.status_code == 404 and r.get_json()["error"] == "no_such_path"
