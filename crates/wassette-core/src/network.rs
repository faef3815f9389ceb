//! The network policy of a run as Wasmtime's socket checks.
//!
//! Deny by default: without `allow` or without hosts, TCP, UDP and name lookup are all off.
//! Otherwise each grant becomes a set of addresses, host names resolved once when the run is
//! set up, and every connect or send is checked against them. Wasmtime checks socket
//! addresses, not names, so a glob such as `*.example.com` grants no socket address (it grants
//! HTTP requests to matching names, see `http.rs`); `*` alone grants every address.
//!
//! Name lookup is allowed when hosts are granted, so that a guest can resolve the names it was
//! given; the lookup itself is not filtered by name (the address check still applies).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::WasiCtxBuilder;

use crate::{CoreError, HostGrant, NetworkPolicy};

/// Addresses (or any address) a grant allows, with its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    AnyHost { port: Option<u16> },
    Addr { ip: IpAddr, port: Option<u16> },
}

/// The resolved form of a policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Resolves every grant but globs; a name that does not resolve is a `Grant` error.
    pub(crate) fn resolve(hosts: &[HostGrant]) -> Result<Rules, CoreError> {
        let mut rules = Vec::new();
        for grant in hosts {
            let host = grant.host.trim();
            let port = grant.port;
            if host == "*" {
                rules.push(Rule::AnyHost { port });
                continue;
            }
            if host.contains('*') {
                // Names only: for wasi:http. No socket address matches a glob.
                continue;
            }
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = literal.parse::<IpAddr>() {
                rules.push(Rule::Addr {
                    ip: ip.to_canonical(),
                    port,
                });
                continue;
            }
            let found = (host, port.unwrap_or(0)).to_socket_addrs().map_err(|e| {
                CoreError::Grant(format!(
                    "host `{host}` cannot be resolved ({e}); check the name or grant its IP address"
                ))
            })?;
            let before = rules.len();
            rules.extend(found.map(|a| Rule::Addr {
                ip: a.ip().to_canonical(),
                port,
            }));
            if rules.len() == before {
                return Err(CoreError::Grant(format!(
                    "host `{host}` resolved to no address"
                )));
            }
        }
        Ok(Rules { rules })
    }

    /// Whether the guest may use `addr` this way. Connects and sends must match a grant; binds
    /// are allowed only to an unspecified address and an ephemeral port (what a client socket
    /// needs; listening on a chosen port is never granted).
    pub(crate) fn permits(&self, addr: SocketAddr, use_: SocketAddrUse) -> bool {
        match use_ {
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
                addr.ip().is_unspecified() && addr.port() == 0 && !self.rules.is_empty()
            }
            SocketAddrUse::TcpConnect
            | SocketAddrUse::UdpConnect
            | SocketAddrUse::UdpOutgoingDatagram => {
                let ip = addr.ip().to_canonical();
                self.rules.iter().any(|rule| match *rule {
                    Rule::AnyHost { port } => port.is_none_or(|p| p == addr.port()),
                    Rule::Addr { ip: allowed, port } => {
                        allowed == ip && port.is_none_or(|p| p == addr.port())
                    }
                })
            }
        }
    }
}

/// Applies `policy` to a WASI context being built.
pub(crate) fn install(
    builder: &mut WasiCtxBuilder,
    policy: &NetworkPolicy,
) -> Result<(), CoreError> {
    let rules = if policy.allow {
        Rules::resolve(&policy.hosts)?
    } else {
        Rules::default()
    };
    if rules.rules.is_empty() {
        // Nothing granted, or only globs (which are for wasi:http): no socket, no name lookup.
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        return Ok(());
    }
    let rules = Arc::new(rules);
    builder
        .allow_tcp(true)
        .allow_udp(true)
        .allow_ip_name_lookup(true)
        .socket_addr_check(move |addr, use_| {
            let allowed = rules.permits(addr, use_);
            Box::pin(async move { allowed })
        });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(host: &str, port: Option<u16>) -> HostGrant {
        HostGrant {
            host: host.into(),
            port,
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn connects_only_to_granted_addresses_and_ports() {
        let r = Rules::resolve(&[grant("127.0.0.1", Some(8080)), grant("::1", None)]).unwrap();
        assert!(r.permits(addr("127.0.0.1:8080"), SocketAddrUse::TcpConnect));
        assert!(!r.permits(addr("127.0.0.1:8081"), SocketAddrUse::TcpConnect));
        assert!(!r.permits(addr("10.0.0.1:8080"), SocketAddrUse::UdpOutgoingDatagram));
        assert!(r.permits(addr("[::1]:1"), SocketAddrUse::UdpConnect));
        // The IPv4-mapped form of a granted IPv4 address is the same host.
        assert!(r.permits(addr("[::ffff:127.0.0.1]:8080"), SocketAddrUse::TcpConnect));
    }

    #[test]
    fn binds_only_to_an_ephemeral_port_on_any_address() {
        let r = Rules::resolve(&[grant("127.0.0.1", None)]).unwrap();
        assert!(r.permits(addr("0.0.0.0:0"), SocketAddrUse::UdpBind));
        assert!(!r.permits(addr("0.0.0.0:80"), SocketAddrUse::TcpBind));
        assert!(!r.permits(addr("127.0.0.1:0"), SocketAddrUse::TcpBind));
    }

    #[test]
    fn names_resolve_at_setup_and_globs_grant_no_address() {
        let r = Rules::resolve(&[grant("localhost", Some(9))]).unwrap();
        assert!(r.permits(addr("127.0.0.1:9"), SocketAddrUse::TcpConnect));
        let any = Rules::resolve(&[grant("*", Some(443))]).unwrap();
        assert!(any.permits(addr("203.0.113.7:443"), SocketAddrUse::TcpConnect));
        assert!(!any.permits(addr("203.0.113.7:80"), SocketAddrUse::TcpConnect));
        // A glob is for wasi:http names; it grants no socket address.
        let glob = Rules::resolve(&[grant("*.example.com", None)]).unwrap();
        assert!(!glob.permits(addr("93.184.215.14:443"), SocketAddrUse::TcpConnect));
        assert!(!glob.permits(addr("0.0.0.0:0"), SocketAddrUse::TcpBind));
    }

    #[test]
    fn nothing_granted_permits_nothing() {
        let r = Rules::default();
        assert!(!r.permits(addr("127.0.0.1:80"), SocketAddrUse::TcpConnect));
        assert!(!r.permits(addr("0.0.0.0:0"), SocketAddrUse::UdpBind));
    }
}
