//! The deterministic, append-only subnet allocator.
//!
//! Each (tier, AZ ID) pair gets the lowest free aligned block of its tier's size the first
//! time it appears; existing allocations never move. A fresh layout allocates the largest
//! blocks first (private, then public, then data) so it packs without gaps.

use std::collections::BTreeMap;

use crate::plan::node::SubnetTier;
use crate::plan::spec::{Ipv4Cidr, SubnetNewbits};

/// Allocations keyed by tier and AZ ID.
pub type Allocations = BTreeMap<(SubnetTier, String), Ipv4Cidr>;

/// Allocation order across tiers: largest blocks first for the default newbits.
pub const TIER_ORDER: [SubnetTier; 3] = [SubnetTier::Private, SubnetTier::Public, SubnetTier::Data];

fn newbits_of(newbits: SubnetNewbits, tier: SubnetTier) -> u8 {
    match tier {
        SubnetTier::Public => newbits.public,
        SubnetTier::Private => newbits.private,
        SubnetTier::Data => newbits.data,
    }
}

/// Returns `existing` plus a block for every (tier, az) of `azs` that lacks one.
///
/// # Errors
/// A message naming the tier that did not fit.
pub fn allocate(
    vpc: Ipv4Cidr,
    newbits: SubnetNewbits,
    existing: &Allocations,
    azs: &[String],
) -> Result<Allocations, String> {
    let mut out = existing.clone();
    for tier in TIER_ORDER {
        let prefix = vpc.prefix + newbits_of(newbits, tier);
        for az in azs {
            let key = (tier, az.clone());
            if out.contains_key(&key) {
                continue;
            }
            let block = lowest_free(vpc, prefix, out.values()).ok_or_else(|| {
                format!(
                    "{vpc} has no free /{prefix} block left for the {} subnet in {az} ({} addresses needed, {} AZs requested).",
                    tier.as_str(),
                    1u64 << (32 - u32::from(prefix)),
                    azs.len()
                )
            })?;
            out.insert(key, block);
        }
    }
    Ok(out)
}

fn lowest_free<'a>(
    vpc: Ipv4Cidr,
    prefix: u8,
    used: impl Iterator<Item = &'a Ipv4Cidr> + Clone,
) -> Option<Ipv4Cidr> {
    if prefix > 32 || prefix < vpc.prefix {
        return None;
    }
    let size = 1u64 << (32 - u32::from(prefix));
    let mut start = vpc.first();
    while start + size - 1 <= vpc.last() {
        let candidate = Ipv4Cidr {
            addr: start as u32,
            prefix,
        };
        match used
            .clone()
            .filter(|u| u.overlaps(candidate))
            .map(|u| u.last())
            .max()
        {
            None => return Some(candidate),
            // Skip past the overlapping block, then realign.
            Some(end) => start = (end + 1).div_ceil(size) * size,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT_BITS: SubnetNewbits = SubnetNewbits {
        public: 8,
        private: 4,
        data: 8,
    };

    fn azs(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("use1-az{i}")).collect()
    }

    fn render(a: &Allocations) -> Vec<String> {
        a.iter()
            .map(|((t, az), c)| format!("{}/{az} {c}", t.as_str()))
            .collect()
    }

    #[test]
    fn known_layout_two_azs() {
        let vpc = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        let a = allocate(vpc, DEFAULT_BITS, &Allocations::new(), &azs(2)).unwrap();
        assert_eq!(
            render(&a),
            [
                "public/use1-az1 10.0.32.0/24",
                "public/use1-az2 10.0.33.0/24",
                "private/use1-az1 10.0.0.0/20",
                "private/use1-az2 10.0.16.0/20",
                "data/use1-az1 10.0.34.0/24",
                "data/use1-az2 10.0.35.0/24",
            ]
        );
    }

    #[test]
    fn growth_appends() {
        let vpc = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        let two = allocate(vpc, DEFAULT_BITS, &Allocations::new(), &azs(2)).unwrap();
        let three = allocate(vpc, DEFAULT_BITS, &two, &azs(3)).unwrap();
        assert_eq!(
            three[&(SubnetTier::Private, "use1-az3".into())].to_string(),
            "10.0.48.0/20"
        );
        assert_eq!(
            three[&(SubnetTier::Public, "use1-az3".into())].to_string(),
            "10.0.36.0/24"
        );
        for (k, v) in &two {
            assert_eq!(three[k], *v);
        }
    }

    #[test]
    fn too_small_is_an_error() {
        let vpc = Ipv4Cidr::parse("10.0.0.0/20").unwrap();
        let err = allocate(
            vpc,
            SubnetNewbits {
                public: 2,
                private: 1,
                data: 2,
            },
            &Allocations::new(),
            &azs(3),
        )
        .unwrap_err();
        assert!(err.contains("private"), "{err}");
    }

    fn check_layout(vpc: Ipv4Cidr, a: &Allocations) -> Result<(), TestCaseError> {
        let blocks: Vec<Ipv4Cidr> = a.values().copied().collect();
        for (i, b) in blocks.iter().enumerate() {
            prop_assert!(vpc.contains(*b), "{} outside {}", b, vpc);
            prop_assert_eq!(b.addr as u64 % b.size(), 0, "{} misaligned", b);
            for other in &blocks[..i] {
                prop_assert!(!b.overlaps(*other), "{} overlaps {}", b, other);
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn inside_disjoint_and_stable_under_growth(
            prefix in 16u8..=24,
            public in 1u8..=6,
            private in 1u8..=6,
            data in 1u8..=6,
            start in 2usize..=6,
            extra in 0usize..=4,
            octet in 0u8..=255,
        ) {
            let vpc = Ipv4Cidr { addr: (10u32 << 24 | u32::from(octet) << 16) & (u32::MAX << (32 - u32::from(prefix))), prefix };
            let bits = SubnetNewbits { public, private, data };
            prop_assume!(prefix + public.max(private).max(data) <= 28);
            let Ok(first) = allocate(vpc, bits, &Allocations::new(), &azs(start)) else { return Ok(()); };
            check_layout(vpc, &first)?;
            // Deterministic.
            prop_assert_eq!(&first, &allocate(vpc, bits, &Allocations::new(), &azs(start)).unwrap());
            if let Ok(grown) = allocate(vpc, bits, &first, &azs(start + extra)) {
                check_layout(vpc, &grown)?;
                for (k, v) in &first {
                    prop_assert_eq!(grown[k], *v, "{:?} moved", k);
                }
                prop_assert_eq!(grown.len(), 3 * (start + extra));
            }
            // Shrinking then regrowing a dropped AZ reuses the lowest free block.
            let mut shrunk = first.clone();
            shrunk.retain(|(_, az), _| az != &format!("use1-az{start}"));
            let regrown = allocate(vpc, bits, &shrunk, &azs(start)).unwrap();
            check_layout(vpc, &regrown)?;
        }
    }
}
