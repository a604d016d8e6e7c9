//! Which address a request came from. Behind a reverse proxy the TCP peer
//! is the proxy, and the reader's address is in a header — but every entry
//! in that header that the proxy did not write itself was chosen by the
//! client. So the header is believed only when the peer is a trusted proxy,
//! and then only from the right: each trusted proxy appends the address it
//! saw, and the first address from the right that is not one of ours is the
//! one that connected to our outermost proxy.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which header carries the chain of addresses behind a trusted proxy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyHeader {
    /// `X-Forwarded-For`, as nginx (`$proxy_add_x_forwarded_for`) and Caddy set it.
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…`, for proxies configured to send it.
    Forwarded,
}

/// A single address or a CIDR range, such as `10.0.0.0/8` or `fd00::/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix_len: u8,
}

impl AddressRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                prefix_matches(u128::from(u32::from(network)), u128::from(u32::from(ip)), self.prefix_len, 32)
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                prefix_matches(u128::from(network), u128::from(ip), self.prefix_len, 128)
            }
            _ => false,
        }
    }
}

fn prefix_matches(network: u128, ip: u128, prefix_len: u8, bits: u32) -> bool {
    let host_bits = bits - u32::from(prefix_len);
    (network ^ ip).checked_shr(host_bits).unwrap_or(0) == 0
}

impl FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = canonical(address.parse().map_err(|_| format!("`{text}` is not an IP address or range"))?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            None => max,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { network, prefix_len })
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

/// Whether and how to believe forwarded addresses; built once from the settings.
#[derive(Clone, Debug, Default)]
pub struct ProxyPolicy {
    /// Off: the TCP peer is the client, whatever the headers say.
    pub behind_proxy: bool,
    pub trusted: Vec<AddressRange>,
    pub header: ProxyHeader,
}

impl ProxyPolicy {
    pub fn new(behind_proxy: bool, trusted: &[String], header: ProxyHeader) -> Result<Self, String> {
        let trusted = trusted.iter().map(|range| range.parse()).collect::<Result<_, _>>()?;
        Ok(Self { behind_proxy, trusted, header })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|range| range.contains(ip))
    }
}

/// The client's address. `x_forwarded_for` and `forwarded` are the values of
/// every such header line, in the order received.
pub fn client_address<'a>(
    peer: IpAddr,
    x_forwarded_for: impl IntoIterator<Item = &'a str>,
    forwarded: impl IntoIterator<Item = &'a str>,
    policy: &ProxyPolicy,
) -> IpAddr {
    let peer = canonical(peer);
    if !policy.behind_proxy || !policy.trusts(peer) {
        return peer;
    }
    let chain: Vec<&str> = match policy.header {
        ProxyHeader::XForwardedFor => x_forwarded_for.into_iter().flat_map(|line| line.split(',')).collect(),
        ProxyHeader::Forwarded => forwarded.into_iter().flat_map(forwarded_for_values).collect(),
    };
    // Walk from the hop nearest to us outwards. An entry we cannot read ends
    // the walk: whatever lies beyond it cannot be vouched for, so the last
    // address we could read is the answer.
    let mut client = peer;
    for entry in chain.iter().rev() {
        let Some(ip) = parse_entry(entry) else { break };
        client = ip;
        if !policy.trusts(ip) {
            break;
        }
    }
    client
}

/// The `for=` values of one `Forwarded` header line (RFC 7239): elements are
/// separated by commas, pairs within an element by semicolons.
fn forwarded_for_values(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|element| {
        element
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
            // An element without `for=` is unreadable, which ends the walk.
            .map_or("", |(_, value)| value)
    })
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1`, and in
/// `Forwarded` also quoted, bracketed and with a port (`"[2001:db8::1]:4711"`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse() {
        return Some(canonical(ip));
    }
    let host = match entry.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => entry.rsplit_once(':').filter(|(host, _)| !host.contains(':'))?.0,
    };
    host.parse().ok().map(canonical)
}

/// `::ffff:192.0.2.1` is 192.0.2.1, as a dual-stack listener reports it.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &[&str]) -> ProxyPolicy {
        let trusted: Vec<String> = trusted.iter().map(|s| (*s).to_owned()).collect();
        ProxyPolicy::new(true, &trusted, ProxyHeader::XForwardedFor).unwrap()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn from_xff(peer: &str, lines: &[&str], policy: &ProxyPolicy) -> IpAddr {
        client_address(ip(peer), lines.iter().copied(), [], policy)
    }

    #[test]
    fn a_forged_leftmost_entry_is_ignored() {
        let policy = policy(&["127.0.0.1/8"]);
        // nginx appended the real address to what the client sent.
        assert_eq!(from_xff("127.0.0.1", &["1.2.3.4, 203.0.113.7"], &policy), ip("203.0.113.7"));
        assert_eq!(from_xff("127.0.0.1", &["1.2.3.4", "5.6.7.8, 203.0.113.7"], &policy), ip("203.0.113.7"));
    }

    #[test]
    fn trusted_hops_are_skipped_from_the_right() {
        let policy = policy(&["127.0.0.1", "10.0.0.0/8"]);
        let chain = ["9.9.9.9, 198.51.100.4, 10.1.2.3, 10.0.0.9"];
        assert_eq!(from_xff("127.0.0.1", &chain, &policy), ip("198.51.100.4"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let policy = policy(&["10.0.0.0/8"]);
        assert_eq!(from_xff("198.51.100.4", &["10.0.0.1"], &policy), ip("198.51.100.4"));
        let off = ProxyPolicy { behind_proxy: false, ..policy };
        assert_eq!(from_xff("10.0.0.1", &["198.51.100.4"], &off), ip("10.0.0.1"));
    }

    #[test]
    fn without_a_header_the_peer_is_the_client() {
        let policy = policy(&["127.0.0.1"]);
        assert_eq!(from_xff("127.0.0.1", &[], &policy), ip("127.0.0.1"));
        assert_eq!(from_xff("127.0.0.1", &[""], &policy), ip("127.0.0.1"));
    }

    #[test]
    fn a_chain_of_trusted_hops_only_gives_the_farthest_one() {
        let policy = policy(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(from_xff("127.0.0.1", &["10.0.0.5, 10.0.0.6"], &policy), ip("10.0.0.5"));
    }

    #[test]
    fn garbage_ends_the_walk_at_the_last_readable_hop() {
        let policy = policy(&["127.0.0.1", "10.0.0.0/8"]);
        assert_eq!(from_xff("127.0.0.1", &["1.2.3.4, not-an-ip, 10.0.0.7"], &policy), ip("10.0.0.7"));
        assert_eq!(from_xff("127.0.0.1", &["1.2.3.4, unknown"], &policy), ip("127.0.0.1"));
        assert_eq!(from_xff("127.0.0.1", &["1.2.3.4,,"], &policy), ip("127.0.0.1"));
        // Past an untrusted address, garbage cannot matter.
        assert_eq!(from_xff("127.0.0.1", &["<script>, 203.0.113.9"], &policy), ip("203.0.113.9"));
    }

    #[test]
    fn ipv6_addresses_and_ranges() {
        let policy = policy(&["::1", "fd00::/8"]);
        let chain = ["2001:db8::dead, 2001:db8::1, fd12::3"];
        assert_eq!(client_address(ip("::1"), chain, [], &policy), ip("2001:db8::1"));
        assert_eq!(from_xff("fd00::99", &["[2001:db8::2]:443"], &policy), ip("2001:db8::2"));
        // A dual-stack listener reports IPv4 peers as mapped IPv6 addresses.
        let v4 = self::policy(&["127.0.0.1/8"]);
        assert_eq!(from_xff("::ffff:127.0.0.1", &["::ffff:203.0.113.7"], &v4), ip("203.0.113.7"));
    }

    #[test]
    fn the_forwarded_header_counts_only_when_chosen() {
        let xff = policy(&["127.0.0.1"]);
        let forwarded = ProxyPolicy { header: ProxyHeader::Forwarded, ..xff.clone() };
        let header = ["for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https"];
        assert_eq!(client_address(ip("127.0.0.1"), ["198.51.100.1"], header, &xff), ip("198.51.100.1"));
        assert_eq!(client_address(ip("127.0.0.1"), ["198.51.100.1"], header, &forwarded), ip("2001:db8::7"));
        assert_eq!(client_address(ip("127.0.0.1"), [], ["proto=https;For=192.0.2.60"], &forwarded), ip("192.0.2.60"));
        assert_eq!(client_address(ip("127.0.0.1"), [], ["for=_hidden"], &forwarded), ip("127.0.0.1"));
    }

    #[test]
    fn ranges_parse_and_match() {
        let range: AddressRange = "192.168.0.0/16".parse().unwrap();
        assert!(range.contains(ip("192.168.44.1")));
        assert!(!range.contains(ip("192.169.0.1")));
        assert!(!range.contains(ip("::1")));
        assert!("0.0.0.0/0".parse::<AddressRange>().unwrap().contains(ip("8.8.8.8")));
        assert!("::/0".parse::<AddressRange>().unwrap().contains(ip("2001:db8::1")));
        assert_eq!("10.0.0.1".parse::<AddressRange>().unwrap().to_string(), "10.0.0.1/32");
        for bad in ["10.0.0.0/33", "fd00::/129", "example.org", "10.0.0.0/x", ""] {
            assert!(bad.parse::<AddressRange>().is_err(), "{bad}");
        }
    }
}
