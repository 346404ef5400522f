//! The README's nginx example (`deploy/nginx-actas.conf`), for real: Debian's nginx in front
//! of two instances on one PostgreSQL, with sign-in, an impersonation and the live channel's
//! end message going through it.

use crate::common::{spawn_app_with, Db, TestApp, PASSWORD};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// nginx, started on a free port with the example's server block pointing at `upstreams`;
/// stopped when dropped.
struct Nginx {
    child: std::process::Child,
    base: String,
    _folder: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // A graceful stop: the master ends its workers too (a killed master would leave them
        // running, holding on to the test's output).
        let stopped = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if !stopped.is_ok_and(|status| status.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_nginx(upstreams: &[&TestApp]) -> Nginx {
    let example = include_str!("../../../deploy/nginx-actas.conf");
    let port = free_port();
    let servers: String = upstreams
        .iter()
        .map(|app| format!("    server {};\n", app.addr))
        .collect();
    let site = example
        .replace(
            "    server 127.0.0.1:3000;\n    server 127.0.0.1:3001;\n",
            &servers,
        )
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    assert!(
        site.contains(&servers),
        "the example's upstream block changed"
    );
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().display().to_string();
    let conf = format!(
        "worker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n\
         fastcgi_temp_path {dir}/fastcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n\
         {site}\n}}\n"
    );
    std::fs::write(folder.path().join("nginx.conf"), conf).unwrap();
    let child = std::process::Command::new("nginx")
        .args([
            "-p",
            &dir,
            "-c",
            &format!("{dir}/nginx.conf"),
            "-g",
            "daemon off;",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx is installed (scripts/setup.sh test installs it)");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Nginx {
        child,
        base,
        _folder: folder,
    }
}

/// A browser behind nginx: same-origin requests, cookies kept.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(
    nginx: &Nginx,
    client: &reqwest::Client,
    function: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(format!("{}/api/{function}", nginx.base))
        .header("Sec-Fetch-Site", "same-origin")
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_impersonation_and_the_live_channel_go_through_nginx() {
    let trusting = |config: &mut server::config::Config| {
        config.trusted_proxies = app::ssr::forwarded::TrustedProxies::parse("127.0.0.1").unwrap();
    };
    let first = spawn_app_with(Db::Postgres, trusting).await;
    let database_url = first.database_url.clone();
    let second = spawn_app_with(Db::Postgres, |config| {
        trusting(config);
        config.database_url = database_url;
    })
    .await;
    let nginx = start_nginx(&[&first, &second]).await;

    let mia = browser();
    let signed_in = call(
        &nginx,
        &mia,
        "sign_in",
        &[("email", "mia@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let granted = call(
        &nginx,
        &mia,
        "grant_consent",
        &[("duration", "24"), ("scope", "full_access")],
    )
    .await;
    assert_eq!(granted.status(), StatusCode::OK);

    let ada = browser();
    call(
        &nginx,
        &ada,
        "sign_in",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    )
    .await;
    let mia_id = crate::common::user_id(&first, "mia@example.com")
        .await
        .to_string();
    let started = call(
        &nginx,
        &ada,
        "start_impersonation",
        &[
            ("target_id", mia_id.as_str()),
            ("reason", "TICKET-80 through nginx"),
        ],
    )
    .await;
    assert_eq!(started.status(), StatusCode::OK);
    let projects = call(&nginx, &ada, "list_projects", &[]).await;
    assert_eq!(
        projects.status(),
        StatusCode::OK,
        "acting, through the proxy"
    );

    let mut live = ada
        .get(format!("{}/api/live", nginx.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let revoked_at = Instant::now();
    assert_eq!(
        call(&nginx, &mia, "revoke_consent", &[]).await.status(),
        StatusCode::OK
    );
    let mut received = String::new();
    while !received.contains("event: ended") {
        let chunk = tokio::time::timeout(Duration::from_secs(2), live.chunk())
            .await
            .expect("the end reaches the page through nginx within 2 seconds")
            .unwrap()
            .expect("the stream stays open until it has spoken");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(revoked_at.elapsed() < Duration::from_secs(2));
    assert!(received.contains("data: consent revoked"), "{received}");

    // The instances saw the client, not the proxy: nginx forwarded for 127.0.0.1 here, so
    // the address is the same, but it arrived through the header the instances trust.
    let signed_in = &first.events("sign_in").await[0];
    assert!(
        signed_in.detail.contains("127.0.0.1"),
        "{}",
        signed_in.detail
    );
    // Ada's next page load, through the proxy, takes her to her own view, saying why.
    let page = ada
        .get(format!("{}/sign-in", nginx.base))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/admin/users?ended=consent%20revoked"
    );
    assert!(
        page.headers().get("x-request-id").is_some(),
        "the request id passes the proxy"
    );
}
