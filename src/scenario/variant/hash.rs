//! A stable 64-bit hash (FNV-1a) and a small seeded generator (SplitMix64): the same numbers on
//! every machine, in every run and in every shard.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`, continuing from `state`.
pub fn fnv1a(state: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(state, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// `sweep_id`: 16 hex digits identifying a scenario text (with its `[sweep]`). Line endings are
/// normalised so that a file checked out with CRLF gets the same id.
pub fn sweep_id(scenario_text: &str) -> String {
    let normalised = scenario_text.replace("\r\n", "\n");
    format!("{:016x}", fnv1a(FNV_OFFSET, normalised.as_bytes()))
}

/// SplitMix64: a counter-based generator; each call advances the state by a fixed constant.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64, stream: u64) -> SplitMix64 {
        let mut g = SplitMix64(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        g.next_u64();
        g
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n >= 1), by rejection so that it has no bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
        assert_eq!(sweep_id("a\r\nb"), sweep_id("a\nb"));
        assert_eq!(sweep_id("x").len(), 16);
    }

    #[test]
    fn splitmix_is_uniform_enough_and_repeatable() {
        let mut g = SplitMix64::new(1, 0);
        let xs: Vec<f64> = (0..10_000).map(|_| g.next_f64()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let mut h = SplitMix64::new(1, 0);
        assert_eq!(h.next_f64(), xs[0]);
        assert_ne!(
            SplitMix64::new(1, 1).next_u64(),
            SplitMix64::new(1, 0).next_u64()
        );
    }
}
