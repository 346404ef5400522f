//! Settings, read once from the environment. Every one has a default that works locally.

use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://path` (the default, `sqlite://data/actas.db`) or `postgres://…`.
    pub database_url: String,
    /// `ACTAS_ADDR`, else `LEPTOS_SITE_ADDR`, else 127.0.0.1:3000. Port 0 picks a free port.
    pub addr: SocketAddr,
    /// `ACTAS_COOKIE_SECURE`: `true`/`false`; by default `Secure` is set unless the server
    /// listens on a loopback address (local development over plain HTTP).
    pub cookie_secure: bool,
    /// `ACTAS_DEMO`: `0` creates no demo accounts.
    pub demo: bool,
    /// `ACTAS_DEMO_PASSWORD`: the demo accounts' password; random per account when unset.
    pub demo_password: Option<String>,
    /// `LEPTOS_SITE_ROOT`: where the built site (wasm, js, css) is, `target/site` by default.
    pub site_root: String,
    /// `ACTAS_MAX_SESSION_SECONDS`: the longest an impersonation session lasts, 1800 by default.
    pub max_session_seconds: i64,
    /// `ACTAS_PUBLIC_ORIGIN`: the address people use (`https://support.example.com`), for
    /// the links the command line prints; `http://` and the listening address by default.
    pub public_origin: Option<String>,
    /// `ACTAS_TRUSTED_PROXIES`: addresses or ranges (`127.0.0.1, 10.0.0.0/8`) whose
    /// `X-Forwarded-For` / `Forwarded` is believed for the client's address; nobody's by default.
    pub trusted_proxies: app::ssr::forwarded::TrustedProxies,
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    name: &'static str,
    problem: String,
}

impl Config {
    /// Where the command line's links point: the public origin, or this address over HTTP.
    pub fn link_origin(&self) -> String {
        self.public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
    }

    /// Reads settings through `lookup`, so tests can give them without touching the process.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let addr_text = lookup("ACTAS_ADDR")
            .or_else(|| lookup("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_string());
        let addr: SocketAddr = addr_text.trim().parse().map_err(|_| ConfigError {
            name: "ACTAS_ADDR",
            problem: format!("{addr_text:?} is not an address like 127.0.0.1:3000"),
        })?;
        let trusted_proxies = app::ssr::forwarded::TrustedProxies::parse(
            &lookup("ACTAS_TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|problem| ConfigError {
            name: "ACTAS_TRUSTED_PROXIES",
            problem,
        })?;
        let demo = match lookup("ACTAS_DEMO") {
            Some(text) => parse_flag("ACTAS_DEMO", &text)?,
            None => true,
        };
        let max_session_seconds = match lookup("ACTAS_MAX_SESSION_SECONDS") {
            Some(text) => match text.trim().parse::<i64>() {
                Ok(seconds) if (1..=86_400).contains(&seconds) => seconds,
                _ => {
                    return Err(ConfigError {
                        name: "ACTAS_MAX_SESSION_SECONDS",
                        problem: format!(
                            "{text:?} is not a whole number of seconds from 1 to 86400"
                        ),
                    });
                }
            },
            None => 1800,
        };
        let public_origin = match lookup("ACTAS_PUBLIC_ORIGIN") {
            None => None,
            Some(text) => {
                let origin = text.trim().trim_end_matches('/').to_string();
                let scheme = origin.split_once("://").map(|(scheme, _)| scheme);
                if !matches!(scheme, Some("http" | "https")) || origin.contains(char::is_whitespace)
                {
                    return Err(ConfigError {
                        name: "ACTAS_PUBLIC_ORIGIN",
                        problem: format!(
                            "{text:?} is not an origin like https://support.example.com"
                        ),
                    });
                }
                Some(origin)
            }
        };
        // Served over HTTPS (as the public origin says) or not on loopback: `Secure`.
        let cookie_secure = match lookup("ACTAS_COOKIE_SECURE") {
            Some(text) => parse_flag("ACTAS_COOKIE_SECURE", &text)?,
            None => match &public_origin {
                Some(origin) => origin.starts_with("https://"),
                None => !addr.ip().is_loopback(),
            },
        };
        Ok(Config {
            trusted_proxies,
            public_origin,
            max_session_seconds,
            database_url: lookup("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/actas.db".to_string()),
            addr,
            cookie_secure,
            demo,
            demo_password: lookup("ACTAS_DEMO_PASSWORD"),
            site_root: lookup("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_string()),
        })
    }
}

fn parse_flag(name: &'static str, text: &str) -> Result<bool, ConfigError> {
    match text.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            name,
            problem: format!("{text:?} is not one of 1, 0, true, false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_locally_with_demo_accounts() {
        let config = config(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/actas.db");
        assert!(config.demo);
        assert!(
            !config.cookie_secure,
            "plain HTTP on loopback is local development"
        );
    }

    #[test]
    fn cookies_are_secure_off_loopback_unless_told_otherwise() {
        assert!(
            config(&[("ACTAS_ADDR", "0.0.0.0:8080")])
                .unwrap()
                .cookie_secure
        );
        assert!(
            config(&[
                ("ACTAS_ADDR", "127.0.0.1:1"),
                ("ACTAS_COOKIE_SECURE", "true")
            ])
            .unwrap()
            .cookie_secure
        );
        assert_eq!(
            config(&[("LEPTOS_SITE_ADDR", "127.0.0.1:4000")])
                .unwrap()
                .addr
                .port(),
            4000
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let error = config(&[("ACTAS_ADDR", "localhost")])
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("ACTAS_ADDR"), "{error}");
        assert!(config(&[("ACTAS_DEMO", "maybe")]).is_err());
        assert!(config(&[("ACTAS_MAX_SESSION_SECONDS", "0")]).is_err());
        assert_eq!(
            config(&[("ACTAS_MAX_SESSION_SECONDS", "5")])
                .unwrap()
                .max_session_seconds,
            5
        );
    }

    #[test]
    fn behind_a_proxy_the_public_origin_decides_secure_cookies() {
        let behind = config(&[
            ("ACTAS_ADDR", "127.0.0.1:3000"),
            ("ACTAS_PUBLIC_ORIGIN", "https://support.example.com/"),
            ("ACTAS_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ])
        .unwrap();
        assert!(behind.cookie_secure, "https outside, loopback inside");
        assert_eq!(
            behind.public_origin.as_deref(),
            Some("https://support.example.com")
        );
        assert!(behind.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        for (name, bad) in [
            ("ACTAS_PUBLIC_ORIGIN", "support.example.com"),
            ("ACTAS_TRUSTED_PROXIES", "10.0.0.0/40"),
        ] {
            assert_eq!(config(&[(name, bad)]).unwrap_err().name, name);
        }
    }
}
