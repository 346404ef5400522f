//! Who a request came from, behind a reverse proxy (SPEC.md §7): the connection's peer,
//! unless that peer is a proxy the operator trusts (`ACTAS_TRUSTED_PROXIES`); then the
//! nearest address it forwarded for that is not a trusted proxy itself. Nobody else's
//! `X-Forwarded-For` or `Forwarded` is believed: a client could write anything there.

use std::net::IpAddr;

/// An address, or a range of them (`10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl AddressRange {
    pub fn parse(text: &str) -> Result<AddressRange, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a range like 10.0.0.0/8"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= bits)
                .ok_or_else(|| format!("{text:?} has a prefix outside 0 to {bits}"))?,
        };
        Ok(AddressRange { network, prefix })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let keep = |bits: u32, prefix: u8| -> u128 {
            if prefix == 0 {
                0
            } else {
                (u128::MAX << (128 - u32::from(prefix))) >> (128 - bits)
            }
        };
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = keep(32, self.prefix) as u32;
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = keep(128, self.prefix);
                u128::from(network) & mask == u128::from(address) & mask
            }
            // An IPv4 client seen through an IPv6 socket.
            (IpAddr::V4(_), IpAddr::V6(address)) => address
                .to_ipv4_mapped()
                .is_some_and(|address| self.contains(IpAddr::V4(address))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// The proxies whose forwarding headers are believed; none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<AddressRange>);

impl TrustedProxies {
    /// Addresses and ranges, separated by commas or spaces.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        text.split([',', ' '])
            .filter(|part| !part.trim().is_empty())
            .map(AddressRange::parse)
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }

    /// The client's address: `peer`, or, when `peer` is trusted, the nearest address the
    /// forwarding headers name that is not a trusted proxy (read from the right, the end the
    /// trusted proxies wrote). `x_forwarded_for` and `forwarded` are the headers' values in
    /// the order they came.
    pub fn client(&self, peer: IpAddr, x_forwarded_for: &[&str], forwarded: &[&str]) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let named: Vec<Option<IpAddr>> = if x_forwarded_for.is_empty() {
            forwarded
                .iter()
                .flat_map(|value| value.split(','))
                .map(forwarded_for)
                .collect()
        } else {
            x_forwarded_for
                .iter()
                .flat_map(|value| value.split(','))
                .map(|entry| strip_port(entry.trim()))
                .collect()
        };
        let mut client = peer;
        for address in named.into_iter().rev() {
            // Past an entry nobody could read, nothing further left is trustworthy.
            let Some(address) = address else { break };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.60;proto=https`, `for="[2001:db8::1]:80"`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| strip_port(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// An address as forwarding headers write it, with or without a port or brackets.
fn strip_port(text: &str) -> Option<IpAddr> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    text.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_hold_what_they_say() {
        let range = AddressRange::parse("10.0.0.0/8").unwrap();
        assert!(range.contains(ip("10.1.2.3")));
        assert!(!range.contains(ip("11.0.0.1")));
        assert!(AddressRange::parse("::1").unwrap().contains(ip("::1")));
        assert!(AddressRange::parse("fd00::/8")
            .unwrap()
            .contains(ip("fd12::1")));
        assert!(AddressRange::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        assert!(AddressRange::parse("127.0.0.1")
            .unwrap()
            .contains(ip("::ffff:127.0.0.1")));
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", ""] {
            assert!(AddressRange::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &["198.51.100.1"], &[]),
            ip("203.0.113.9"),
            "a stranger's header is ignored"
        );
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &["198.51.100.1"], &[]),
            ip("198.51.100.1")
        );
        // A client that writes its own header: the trusted proxy appended the real one.
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &["1.2.3.4, 198.51.100.1, 10.0.0.5"], &[]),
            ip("198.51.100.1")
        );
        assert_eq!(
            trusted.client(
                ip("127.0.0.1"),
                &[],
                &["for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\""]
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            trusted.client(ip("127.0.0.1"), &["garbage, 198.51.100.7"], &[]),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &["198.51.100.1"], &[]),
            ip("127.0.0.1"),
            "nobody trusted by default"
        );
    }
}
