//! Outgoing wasi:http for components, checked against the run's network policy.
//!
//! Every request a component hands to `wasi:http/outgoing-handler.handle` passes through
//! [`HttpPolicy::send_request`] before any connection is made. The destination is the request's
//! authority, checked by name: an exact host (`api.example.com`, case-insensitive), a glob
//! (`*.example.com`: any name ending in `.example.com`), an IP address written as such, or `*`;
//! a grant's port, when it has one, must be the request's port (80 for http and 443 for https
//! when the URL names none). Anything else is refused with the `HTTP-request-denied` error code,
//! which the guest sees as a failed `handle`, not a trap.
//!
//! Names are matched as written, not resolved: a request to `127.0.0.1` needs a grant of
//! `127.0.0.1` even when `localhost` is granted. The HTTP client resolves the granted name
//! itself, so whoever answers for that name in DNS is who the guest reaches.
//!
//! The timeouts a guest asks for (`request-options`, 600 s each by default) are cut to what is
//! left of the run's deadline, so a stalled server cannot hold a run past its timeout: the
//! request fails with a timeout error code, and the run ends as a timeout when the guest
//! resumes.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::types::{HostFutureIncomingResponse, OutgoingRequestConfig};
use wasmtime_wasi_http::p2::{default_send_request, HttpResult, WasiHttpHooks};

use crate::NetworkPolicy;

/// One grant, as the authority check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Any,
    /// `*.example.com` is stored as `.example.com`.
    Suffix(String),
    Ip(IpAddr),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    host: Host,
    port: Option<u16>,
}

/// The HTTP side of a run's network policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpRules {
    grants: Vec<Grant>,
}

/// Lower case, without IPv6 brackets or a final dot: the form grants and requests are compared in.
fn normalize(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

impl HttpRules {
    /// The rules of `policy`; nothing is granted unless it allows the network and names hosts.
    pub(crate) fn new(policy: &NetworkPolicy) -> HttpRules {
        if !policy.allow {
            return HttpRules::default();
        }
        let grants = policy
            .hosts
            .iter()
            .map(|g| {
                let host = normalize(&g.host);
                let host = if host == "*" {
                    Host::Any
                } else if let Some(rest) = host.strip_prefix("*.") {
                    Host::Suffix(format!(".{rest}"))
                } else if let Ok(ip) = host.parse::<IpAddr>() {
                    Host::Ip(ip.to_canonical())
                } else {
                    Host::Name(host)
                };
                Grant { host, port: g.port }
            })
            .collect();
        HttpRules { grants }
    }

    /// Whether a request to `host` (as the URL writes it) on `port` is granted.
    pub(crate) fn permits(&self, host: &str, port: u16) -> bool {
        let host = normalize(host);
        if host.is_empty() {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
        self.grants.iter().any(|g| {
            g.port.is_none_or(|p| p == port)
                && match &g.host {
                    Host::Any => true,
                    Host::Ip(allowed) => ip == Some(*allowed),
                    // A name grant never matches an address, and a glob never matches one either.
                    Host::Name(name) => ip.is_none() && *name == host,
                    Host::Suffix(suffix) => ip.is_none() && host.ends_with(suffix.as_str()),
                }
        })
    }
}

/// The `wasi:http` hooks of one run: the destination check and the deadline.
pub(crate) struct HttpPolicy {
    rules: HttpRules,
    /// None when the run's timeout is too far away to name.
    deadline: Option<Instant>,
}

impl HttpPolicy {
    pub(crate) fn new(policy: &NetworkPolicy, timeout: Duration) -> HttpPolicy {
        HttpPolicy {
            rules: HttpRules::new(policy),
            deadline: Instant::now().checked_add(timeout),
        }
    }
}

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<HyperOutgoingBody>,
        mut config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        let uri = request.uri();
        let Some(host) = uri.host() else {
            return Err(ErrorCode::HttpRequestUriInvalid.into());
        };
        let port = uri
            .port_u16()
            .unwrap_or(if config.use_tls { 443 } else { 80 });
        if !self.rules.permits(host, port) {
            return Err(ErrorCode::HttpRequestDenied.into());
        }
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            config.connect_timeout = config.connect_timeout.min(left);
            config.first_byte_timeout = config.first_byte_timeout.min(left);
            config.between_bytes_timeout = config.between_bytes_timeout.min(left);
        }
        Ok(default_send_request(request, config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HostGrant;

    fn rules(allow: bool, grants: &[(&str, Option<u16>)]) -> HttpRules {
        HttpRules::new(&NetworkPolicy {
            allow,
            hosts: grants
                .iter()
                .map(|(h, p)| HostGrant {
                    host: (*h).into(),
                    port: *p,
                })
                .collect(),
        })
    }

    #[test]
    fn names_match_exactly_and_without_case() {
        let r = rules(true, &[("API.example.com", None)]);
        assert!(r.permits("api.example.com", 443));
        assert!(r.permits("api.EXAMPLE.com.", 80));
        assert!(!r.permits("example.com", 443));
        assert!(!r.permits("api.example.com.evil.net", 443));
        assert!(!r.permits("evilapi.example.com", 443));
    }

    #[test]
    fn globs_match_subdomains_only() {
        let r = rules(true, &[("*.example.com", Some(443))]);
        assert!(r.permits("a.example.com", 443));
        assert!(r.permits("a.b.example.com", 443));
        assert!(!r.permits("example.com", 443));
        assert!(!r.permits("badexample.com", 443));
        assert!(!r.permits("a.example.com", 80));
    }

    #[test]
    fn addresses_match_addresses_and_names_never_do() {
        let r = rules(
            true,
            &[
                ("127.0.0.1", Some(8080)),
                ("[::1]", None),
                ("localhost", None),
            ],
        );
        assert!(r.permits("127.0.0.1", 8080));
        assert!(!r.permits("127.0.0.1", 8081));
        assert!(r.permits("[::1]", 1));
        assert!(r.permits("::ffff:127.0.0.1", 8080));
        assert!(r.permits("localhost", 1));
        // `localhost` is granted by name: its addresses are not.
        assert!(!rules(true, &[("localhost", None)]).permits("127.0.0.1", 80));
        // A glob cannot match an address.
        assert!(!rules(true, &[("*.0.0.1", None)]).permits("127.0.0.1", 80));
    }

    #[test]
    fn star_grants_every_host_and_nothing_grants_nothing() {
        assert!(rules(true, &[("*", Some(443))]).permits("anything.test", 443));
        assert!(!rules(true, &[("*", Some(443))]).permits("anything.test", 80));
        assert!(!rules(true, &[]).permits("a.test", 80));
        assert!(!rules(false, &[("*", None)]).permits("a.test", 80));
        assert!(!rules(true, &[("*", None)]).permits("", 80));
    }
}
