//! Typed, validated input to expansion. A spec holds no unknowns.

use std::fmt;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

use super::node::Tags;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Dev,
    Staging,
    Prod,
}

impl Tier {
    pub fn parse(text: &str) -> Option<Tier> {
        match text {
            "dev" => Some(Tier::Dev),
            "staging" => Some(Tier::Staging),
            "prod" => Some(Tier::Prod),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Dev => "dev",
            Tier::Staging => "staging",
            Tier::Prod => "prod",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatMode {
    None,
    /// One NAT gateway, in the first AZ; every private route table uses it.
    Single,
    PerAz,
}

impl NatMode {
    pub fn parse(text: &str) -> Option<NatMode> {
        match text {
            "none" => Some(NatMode::None),
            "single" => Some(NatMode::Single),
            "per_az" => Some(NatMode::PerAz),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NatMode::None => "none",
            NatMode::Single => "single",
            NatMode::PerAz => "per_az",
        }
    }
}

/// An IPv4 network: address with no host bits set, and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`, refusing host bits so that the intended network is never guessed.
    pub fn parse(text: &str) -> Result<Ipv4Cidr, String> {
        let (addr_text, prefix_text) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR block such as \"10.0.0.0/16\""))?;
        let addr: std::net::Ipv4Addr = addr_text
            .parse()
            .map_err(|_| format!("{addr_text:?} in {text:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix_text
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| {
                format!("{prefix_text:?} in {text:?} is not a prefix length from 0 to 32")
            })?;
        let addr = u32::from(addr);
        let cidr = Ipv4Cidr {
            addr: addr & mask(prefix),
            prefix,
        };
        if cidr.addr != addr {
            return Err(format!(
                "{text:?} has host bits set; the network address is {cidr}"
            ));
        }
        Ok(cidr)
    }

    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn first(self) -> u64 {
        u64::from(self.addr)
    }

    pub fn last(self) -> u64 {
        self.first() + self.size() - 1
    }

    pub fn contains(self, other: Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && self.first() <= other.first() && other.last() <= self.last()
    }

    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", std::net::Ipv4Addr::from(self.addr), self.prefix)
    }
}

/// Bits added to the VPC prefix for each tier's subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetNewbits {
    pub public: u8,
    pub private: u8,
    pub data: u8,
}

/// Which availability zones an environment spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzChoice {
    /// The first N, in zone-name order, keeping those already in use.
    Count(usize),
    /// Exactly these, by ID (`use1-az1`) or name (`us-east-1a`).
    Ids(Vec<String>),
}

impl AzChoice {
    pub fn len(&self) -> usize {
        match self {
            AzChoice::Count(n) => *n,
            AzChoice::Ids(ids) => ids.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub cidr: Ipv4Cidr,
    pub azs: AzChoice,
    pub newbits: SubnetNewbits,
    pub nat_mode: NatMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    pub name: String,
    pub tier: Tier,
    pub network: NetworkSpec,
    /// The user's tags merged over the provider's default tags.
    pub tags: Tags,
    /// The configuration as written, recorded on the VPC so import can recover it.
    pub written: String,
}

impl EnvironmentSpec {
    /// The natural key in `platform:owner`.
    pub fn owner(&self) -> String {
        format!("environment/{}", self.name)
    }
}

/// One availability zone of the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub id: String,
}

/// Read-only facts about the region, gathered before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFacts {
    pub zones: Vec<Zone>,
}

/// Environment names: 2–16 characters of `a-z`, `0-9`, `-`, starting with a letter.
pub fn validate_name(name: &str, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let problem = if !(2..=16).contains(&name.chars().count()) {
        Some(format!(
            "must be 2 to 16 characters long, got {}",
            name.chars().count()
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase letter".to_string())
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(format!("may only contain a-z, 0-9 and '-', found {bad:?}"))
    } else if name.ends_with('-') || name.contains("--") {
        Some("must not end with '-' or contain \"--\"".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        diags.error_at(
            path.clone(),
            "Invalid environment name",
            format!("The name {name:?} {problem}."),
        );
    }
    diags
}

/// Subnet prefixes AWS accepts: /16 to /28.
pub const MIN_PREFIX: u8 = 16;
pub const MAX_PREFIX: u8 = 28;

/// Checks the network layout without AWS: prefix limits, AZ counts and that every subnet fits.
pub fn validate_network(network: &NetworkSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let cidr = network.cidr;
    if !(MIN_PREFIX..=MAX_PREFIX).contains(&cidr.prefix) {
        diags.error_at(
            AttrPath::attrs(&["network", "cidr"]),
            "Invalid VPC CIDR",
            format!(
                "AWS VPCs are /{MIN_PREFIX} to /{MAX_PREFIX}; {cidr} is /{}.",
                cidr.prefix
            ),
        );
        return diags;
    }
    for (name, bits) in [
        ("public", network.newbits.public),
        ("private", network.newbits.private),
        ("data", network.newbits.data),
    ] {
        let prefix = u32::from(cidr.prefix) + u32::from(bits);
        if bits == 0 || prefix > u32::from(MAX_PREFIX) {
            diags.error_at(
                AttrPath::attrs(&["network", "subnet_newbits", name]),
                "VPC prefix too small for the subnets",
                format!(
                    "{cidr} plus {bits} bits gives /{prefix} {name} subnets; AWS subnets must be /{MAX_PREFIX} or larger. Use a larger VPC CIDR or fewer newbits."
                ),
            );
        }
    }
    match &network.azs {
        AzChoice::Count(n) if !(2..=6).contains(n) => diags.error_at(
            AttrPath::attrs(&["network", "az_count"]),
            "Invalid number of availability zones",
            format!("network.az_count must be 2 to 6, got {n}."),
        ),
        AzChoice::Ids(ids) => {
            if !(2..=6).contains(&ids.len()) {
                diags.error_at(
                    AttrPath::attrs(&["network", "az_ids"]),
                    "Invalid number of availability zones",
                    format!("network.az_ids must list 2 to 6 zones, got {}.", ids.len()),
                );
            }
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    diags.error_at(
                        AttrPath::attrs(&["network", "az_ids"]).index(i as i64),
                        "Duplicate availability zone",
                        format!("{id:?} is listed twice."),
                    );
                }
            }
        }
        AzChoice::Count(_) => {}
    }
    if diags.has_errors() {
        return diags;
    }
    // The whole layout must fit, for the requested number of AZs.
    let azs: Vec<String> = (0..network.azs.len()).map(|i| format!("az{i}")).collect();
    if let Err(problem) =
        super::expand::cidr::allocate(cidr, network.newbits, &Default::default(), &azs)
    {
        diags.error_at(
            AttrPath::attrs(&["network", "cidr"]),
            "VPC prefix too small for the subnets",
            format!(
                "{problem} Use a larger network.cidr, fewer AZs or larger network.subnet_newbits."
            ),
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parsing() {
        assert_eq!(
            Ipv4Cidr::parse("10.0.0.0/16").unwrap().to_string(),
            "10.0.0.0/16"
        );
        let err = Ipv4Cidr::parse("10.0.0.1/16").unwrap_err();
        assert!(err.contains("10.0.0.0/16"), "{err}");
        assert!(Ipv4Cidr::parse("10.0.0.0").is_err());
        assert!(Ipv4Cidr::parse("10.0.0.0/33").is_err());
        assert!(Ipv4Cidr::parse("300.0.0.0/8").is_err());
        assert!(Ipv4Cidr::parse("").is_err());
        let a = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        let b = Ipv4Cidr::parse("10.0.4.0/24").unwrap();
        assert!(a.contains(b) && a.overlaps(b) && !b.contains(a));
        assert!(!b.overlaps(Ipv4Cidr::parse("10.0.5.0/24").unwrap()));
    }

    #[test]
    fn names() {
        struct Case {
            reason: &'static str,
            name: &'static str,
            ok: bool,
        }
        let cases = [
            Case {
                reason: "simple",
                name: "dev",
                ok: true,
            },
            Case {
                reason: "digits and dash",
                name: "prod-eu1",
                ok: true,
            },
            Case {
                reason: "empty",
                name: "",
                ok: false,
            },
            Case {
                reason: "one char",
                name: "a",
                ok: false,
            },
            Case {
                reason: "too long",
                name: "abcdefghijklmnopq",
                ok: false,
            },
            Case {
                reason: "uppercase",
                name: "Dev",
                ok: false,
            },
            Case {
                reason: "starts with digit",
                name: "1dev",
                ok: false,
            },
            Case {
                reason: "underscore",
                name: "dev_1",
                ok: false,
            },
            Case {
                reason: "trailing dash",
                name: "dev-",
                ok: false,
            },
            Case {
                reason: "double dash",
                name: "de--v",
                ok: false,
            },
        ];
        for case in cases {
            let d = validate_name(case.name, &AttrPath::attrs(&["name"]));
            assert_eq!(!d.has_errors(), case.ok, "{}", case.reason);
            if !case.ok {
                assert_eq!(
                    d.0[0].path,
                    Some(AttrPath::attrs(&["name"])),
                    "{}",
                    case.reason
                );
            }
        }
    }

    fn network(cidr: &str, azs: AzChoice, newbits: (u8, u8, u8)) -> NetworkSpec {
        NetworkSpec {
            cidr: Ipv4Cidr::parse(cidr).unwrap(),
            azs,
            newbits: SubnetNewbits {
                public: newbits.0,
                private: newbits.1,
                data: newbits.2,
            },
            nat_mode: NatMode::Single,
        }
    }

    #[test]
    fn network_validation() {
        struct Case {
            reason: &'static str,
            input: NetworkSpec,
            want: Option<(&'static str, &'static str)>,
        }
        let cases = [
            Case {
                reason: "defaults fit",
                input: network("10.0.0.0/16", AzChoice::Count(6), (8, 4, 8)),
                want: None,
            },
            Case {
                reason: "too few AZs",
                input: network("10.0.0.0/16", AzChoice::Count(1), (8, 4, 8)),
                want: Some(("Invalid number of availability zones", "network.az_count")),
            },
            Case {
                reason: "too many AZs",
                input: network("10.0.0.0/16", AzChoice::Count(7), (8, 4, 8)),
                want: Some(("Invalid number of availability zones", "network.az_count")),
            },
            Case {
                reason: "VPC too small",
                input: network("10.0.0.0/8", AzChoice::Count(2), (8, 4, 8)),
                want: Some(("Invalid VPC CIDR", "network.cidr")),
            },
            Case {
                reason: "subnets beyond /28",
                input: network("10.0.0.0/24", AzChoice::Count(2), (8, 4, 8)),
                want: Some((
                    "VPC prefix too small for the subnets",
                    "network.subnet_newbits.public",
                )),
            },
            Case {
                reason: "layout does not fit",
                input: network("10.0.0.0/16", AzChoice::Count(6), (8, 2, 8)),
                want: Some(("VPC prefix too small for the subnets", "network.cidr")),
            },
            Case {
                reason: "duplicate AZ",
                input: network(
                    "10.0.0.0/16",
                    AzChoice::Ids(vec!["a".into(), "a".into()]),
                    (8, 4, 8),
                ),
                want: Some(("Duplicate availability zone", "network.az_ids[1]")),
            },
        ];
        for case in cases {
            let d = validate_network(&case.input);
            match case.want {
                None => assert!(!d.has_errors(), "{}: {:?}", case.reason, d),
                Some((summary, path)) => {
                    let first =
                        d.0.first()
                            .unwrap_or_else(|| panic!("{}: no diagnostic", case.reason));
                    assert_eq!(first.summary, summary, "{}", case.reason);
                    assert_eq!(
                        first.path.as_ref().unwrap().to_string(),
                        path,
                        "{}",
                        case.reason
                    );
                }
            }
        }
    }
}
