//! Who a client is, for the limits: its address, believed from
//! `X-Forwarded-For` only when the socket's peer is a trusted proxy.
//!
//! The header is read from the right: each proxy appends the address it
//! got the request from, so the rightmost entries are the ones our own
//! proxies wrote, and the first entry (from the right) that is not a
//! trusted proxy is the client. Anything left of that was written by the
//! client itself and proves nothing. An entry that is not an address ends
//! the walk at the last proxy that spoke.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// Proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Trusts these networks; none at all by default.
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Self {
        Self {
            nets: nets.into_iter().collect(),
        }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&canonical(ip)))
    }

    /// The client's address: `peer`, or what the trusted proxies in front
    /// of it say in `forwarded_for` (the header's values, in order).
    pub fn client<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        canonical(client)
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:5`,
/// `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(addr) = hop.parse::<std::net::SocketAddr>() {
        return Some(addr.ip());
    }
    None
}

/// An IPv4 address written as IPv6 (`::ffff:1.2.3.4`, as a dual-stack
/// socket reports it) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// What a limit counts against: an IPv4 address, or an IPv6 /64 (one
/// subscriber is usually given a whole /64, so counting single addresses
/// would give each of them 2^64 budgets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of a client at `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match canonical(ip) {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(prefix)))
            }
            v4 => Self(v4),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()))
    }

    #[test]
    fn without_trusted_proxies_the_header_changes_nothing() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("127.0.0.1"), ["10.0.0.9"]), ip("127.0.0.1"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_first_untrusted_address_from_the_right_is_the_client() {
        let trusted = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        // The client forged the leftmost entry; the proxies added the rest.
        let header = ["6.6.6.6, 203.0.113.7, 10.1.1.1"];
        assert_eq!(trusted.client(ip("127.0.0.1"), header), ip("203.0.113.7"));
        // Two header lines read as one list, in order.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), ["6.6.6.6", "203.0.113.7:4711"]),
            ip("203.0.113.7")
        );
        // An untrusted peer's header is not read at all.
        assert_eq!(trusted.client(ip("192.0.2.1"), header), ip("192.0.2.1"));
    }

    #[test]
    fn a_header_of_proxies_only_or_garbage_stops_at_the_last_address_that_spoke() {
        let trusted = proxies(&["127.0.0.1/32", "10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("127.0.0.1"), ["10.0.0.2, 10.0.0.3"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            trusted.client(ip("127.0.0.1"), ["unknown, 10.0.0.3"]),
            ip("10.0.0.3")
        );
        assert_eq!(trusted.client(ip("127.0.0.1"), []), ip("127.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4_and_ipv6_counts_by_its_64() {
        let trusted = proxies(&["127.0.0.1/32"]);
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), ["198.51.100.4"]),
            ip("198.51.100.4")
        );
        assert_eq!(
            ClientKey::of(ip("2001:db8:1:2:aaaa::1")),
            ClientKey::of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:1:2::1")),
            ClientKey::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientKey::of(ip("::ffff:1.2.3.4")),
            ClientKey::of(ip("1.2.3.4"))
        );
    }
}
