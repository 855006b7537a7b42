//! No server-side request forgery through webhooks: an endpoint's `url` is `https://` and its
//! host must not be (or resolve to) a loopback, private, link-local, shared, multicast or
//! otherwise non-public address, the cloud metadata address among them. Checked when the
//! endpoint is created or changed ([`check_url`]) and again at every delivery, by the
//! deliverer's DNS resolver ([`Resolver`]): the connection goes to exactly the addresses that
//! resolver checked, so the name cannot be pointed elsewhere between check and use.
//! `--dev` and `CREDPORT_WEBHOOK_ALLOW_PRIVATE=true` lift the rule (and allow `http://`) for a
//! receiver on the developer's own machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Why a delivery's address was refused (found in a request error's sources).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Whether a webhook may go to `ip`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, the metadata address 169.254.169.254 among them
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    let first = segments[0];
    let [_, second, ..] = segments;
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fd00:ec2::254 (metadata) among them
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local
        || segments[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible
        || (first == 0x2001 && second == 0x0db8) // documentation
        || (first == 0x2001 && second == 0) // Teredo: another IPv4 address inside
        || (first == 0x64 && second == 0xff9b) // NAT64 for local use (64:ff9b:1::/48) too
        || segments[..5] == [0, 0, 0, 0, 0xffff] // IPv4-translated (::ffff:0:a.b.c.d)
        || segments[..4] == [0x100, 0, 0, 0] // discard
        || first == 0x2002) // 6to4: another IPv4 address inside
}

/// Checks an endpoint `url` as it is created or changed: `https://` (or `http://` when private
/// targets are allowed), no user name or password, and a host that is, or resolves only to,
/// public addresses. The error is the 400's message.
pub async fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|_| "url: must be an absolute https:// URL".to_owned())?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("url: must be an https:// URL".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("url: must not hold a user name or password".into());
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err("url: must name a host".into());
    };
    if allow_private {
        return Ok(());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = resolve(host, port).await.map_err(|e| format!("url: {e}"))?;
    check_addresses(&addresses).map_err(|e| format!("url: {e}"))
}

/// A host's addresses (an IP literal is its own).
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| "its host does not resolve".to_owned())?
        .collect();
    if found.is_empty() {
        return Err("its host does not resolve".into());
    }
    Ok(found)
}

/// Every address must be public: one private address among public ones is refused too.
fn check_addresses(addresses: &[SocketAddr]) -> Result<(), String> {
    if addresses.iter().all(|a| is_public(a.ip())) {
        Ok(())
    } else {
        Err("its host is a loopback, private, link-local or other non-public address".into())
    }
}

/// The deliverer's DNS resolver: answers only public addresses (or refuses the host), so the
/// connection is made to an address that was checked.
pub struct Resolver {
    pub allow_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let refused = |why: String| -> Box<dyn std::error::Error + Send + Sync> {
                Box::new(Refused(why))
            };
            let addresses = resolve(&host, 0).await.map_err(refused)?;
            if !allow_private {
                check_addresses(&addresses).map_err(refused)?;
            }
            let addrs: Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks a delivery's URL whose host is an IP literal (the resolver is not asked about
/// those) and its scheme, before any connection.
pub fn check_delivery_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if url.scheme() != "https" && !(allow_private && url.scheme() == "http") {
        return Err("the endpoint's url is not https://".into());
    }
    let literal = url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok());
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => {
            Err("its host is a loopback, private, link-local or other non-public address".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::a9fe:a9fe",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "::ffff:0:a9fe:a9fe",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} passed");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::5db8:d822",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} refused");
        }
    }
}
