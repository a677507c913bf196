//! Authentication and the pages: every route but login, the stylesheet and healthz is
//! protected; session cookies are HttpOnly and SameSite=Lax; basic auth works for API
//! clients; auth is off only when disabled; the base path prefixes everything.

mod common;

use common::*;
use serde_json::json;

async fn login(ui: &Ui, base: &str, user: &str, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}{base}/login", ui.base_url))
        .form(&[
            ("username", user),
            ("password", password),
            ("next", &format!("{base}/events?priority=Warning")),
        ])
        .send()
        .await
        .expect("login")
}

#[tokio::test]
async fn every_route_is_protected() {
    let ui = start_with_user(Backend::Sqlite).await;
    let c = client();
    for path in ["/", "/events", "/events/x"] {
        let res = c
            .get(format!("{}{path}", ui.base_url))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(
            res.headers()["location"].to_str().expect("location"),
            format!("/login?next={}", falconer_webui_encode(path)),
        );
    }
    for path in [
        "/api/v1/events/search",
        "/api/v1/events/count",
        "/api/v1/events/count/priority",
        "/api/v1/events/export",
        "/api/v1/outputs",
        "/api/v1/config",
        "/api/v1/version",
    ] {
        let res = c
            .get(format!("{}{path}", ui.base_url))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 401, "{path}");
    }
    for path in ["/", "/api/v1/", "/api/v1/events/add", "/logout"] {
        let res = c
            .post(format!("{}{path}", ui.base_url))
            .body("{}")
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 401, "POST {path}");
    }
    // Wrong credentials are refused too.
    let res = c
        .get(format!("{}/api/v1/events/count", ui.base_url))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 401);
    // Open: login page, stylesheet, healthz.
    for path in ["/login", "/static/app.css", "/api/v1/healthz"] {
        let res = c
            .get(format!("{}{path}", ui.base_url))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path}");
    }
    // POST /api/v1/auth tells whether credentials are good.
    let res = c
        .post(format!("{}/api/v1/auth", ui.base_url))
        .basic_auth("admin", Some(PASSWORD))
        .send()
        .await
        .expect("auth");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "\"authorized\"");
    let res = c
        .post(format!("{}/api/v1/auth", ui.base_url))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .expect("auth");
    assert_eq!(res.status(), 401);
}

fn falconer_webui_encode(path: &str) -> String {
    path.replace('/', "%2F")
}

#[tokio::test]
async fn session_login_and_logout() {
    let ui = start_with_user(Backend::Sqlite).await;
    let res = login(&ui, "", "admin", "wrong").await;
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("Wrong username or password."));

    let res = login(&ui, "", "admin", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/events?priority=Warning");
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(cookie.starts_with("falconer_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let pair = cookie.split(';').next().expect("pair").to_owned();

    let c = client();
    let res = c
        .get(format!("{}/", ui.base_url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("dashboard");
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Timeline by priority") && html.contains(">admin<"),
        "{html}"
    );
    assert!(headers["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("default-src 'none'"));
    assert_eq!(headers["x-frame-options"], "DENY");
    let res = c
        .get(format!("{}/api/v1/events/count", ui.base_url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("api with session");
    assert_eq!(res.status(), 200);

    let res = c
        .post(format!("{}/logout", ui.base_url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .contains("Max-Age=0"));
    let res = c
        .get(format!("{}/api/v1/events/count", ui.base_url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("api after logout");
    assert_eq!(res.status(), 401, "the session ended on the server");

    // An off-site `next` is not followed.
    let res = client()
        .post(format!("{}/login", ui.base_url))
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(res.headers()["location"], "/");
}

#[tokio::test]
async fn secure_cookie_and_base_path() {
    let ui = start(
        Backend::Sqlite,
        json!({
            "basepath": "/falconer/",
            "auth": {"securecookie": true, "users": [{"username": "admin", "password": test_hash()}]},
        }),
    )
    .await;
    let c = client();
    let res = c
        .get(format!("{}/api/v1/healthz", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404, "routes live under the base path only");
    let res = c
        .get(format!("{}/falconer/api/v1/healthz", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let res = c
        .get(format!("{}/falconer", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/falconer/login?next=%2Ffalconer"
    );
    let res = c
        .get(format!("{}/falconer/?since=1h", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/falconer?since=1h");
    let res = c
        .get(format!("{}/falconer/events", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/falconer/login?next=%2Ffalconer%2Fevents"
    );

    let res = login(&ui, "/falconer", "admin", PASSWORD).await;
    assert_eq!(
        res.headers()["location"],
        "/falconer/events?priority=Warning"
    );
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("Path=/falconer;") && cookie.contains("; Secure"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    let html = c
        .get(format!("{}/falconer/events", ui.base_url))
        .header("cookie", &pair)
        .send()
        .await
        .expect("events")
        .text()
        .await
        .expect("html");
    assert!(html.contains("href=\"/falconer/static/app.css\""), "{html}");
    assert!(html.contains("action=\"/falconer/events\""), "{html}");
    assert!(
        html.contains("href=\"/falconer/api/v1/events/export?"),
        "{html}"
    );
}

#[tokio::test]
async fn auth_off_only_when_disabled() {
    let ui = start(Backend::Sqlite, json!({"auth": {"disabled": true}})).await;
    let c = client();
    for path in ["/", "/events", "/api/v1/events/search", "/api/v1/config"] {
        let res = c
            .get(format!("{}{path}", ui.base_url))
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path}");
    }
    let res = c
        .get(format!("{}/login", ui.base_url))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 303);

    let no_users: falconer_webui::Settings = serde_json::from_value(json!({})).expect("parses");
    assert!(falconer_webui::UiState::new(
        &no_users,
        ui.store.clone(),
        falconer_webui::UiInfo::default()
    )
    .is_err());
}

#[tokio::test]
async fn pages_render_events_and_detail() {
    let ui = start(Backend::Sqlite, json!({"auth": {"disabled": true}})).await;
    ui.store.insert(&sample()).await.expect("insert");
    ui.store
        .insert(&[falconer_testkit::enriched(
            &falconer_testkit::CONFIGMAP_ALERT.replace("minikube-user", "<script>x</script>"),
            42,
        )])
        .await
        .expect("insert");
    let c = client();
    let html = c
        .get(format!("{}/?since=2d&refresh=10", ui.base_url))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    assert!(html.contains("Total <b id=\"total\">5</b>"), "{html}");
    assert!(html.contains("<svg class=\"timeline\""));
    assert!(html.contains("Write below etc"));

    let html = c
        .get(format!("{}/events?priority=Warning&since=", ui.base_url))
        .send()
        .await
        .expect("events")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<b>3</b> events"), "{html}");
    assert!(html.contains("Create/Modify Configmap With Private Credentials"));
    assert!(!html.contains("<script>"), "escaped");
    assert!(html.contains("&lt;script&gt;"));
    assert!(!html.contains("Write below etc</a></td>"), "filtered out");

    let html = c
        .get(format!("{}/events/{}", ui.base_url, uuid_of(42)))
        .send()
        .await
        .expect("detail")
        .text()
        .await
        .expect("html");
    assert!(html.contains("ka.req.configmap.name") && html.contains("aws-creds"));
    assert!(
        html.contains("&quot;uuid&quot;: &quot;00000000-0000-0000-0000-00000000002a&quot;"),
        "{html}"
    );
    let res = c
        .get(format!("{}/events/nope", ui.base_url))
        .send()
        .await
        .expect("detail");
    assert_eq!(res.status(), 404);
}
