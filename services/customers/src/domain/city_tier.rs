//! City → tier, from the bundled reference table `data/city_tiers.csv`.

use std::collections::HashMap;
use std::sync::LazyLock;

static TIERS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    include_str!("../../data/city_tiers.csv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(','))
        .map(|(city, tier)| (city.trim().to_lowercase(), tier.trim()))
        .collect()
});

/// The tier of `city` (`市` suffix ignored); unknown cities are `tier3`.
pub fn tier_of(city: &str) -> &'static str {
    let key = city.trim().trim_end_matches('市').to_lowercase();
    TIERS.get(&key).copied().unwrap_or("tier3")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_cities_get_their_tier_and_others_tier3() {
        assert_eq!(tier_of("北京市"), "tier1");
        assert_eq!(tier_of("Shenzhen"), "tier1");
        assert_eq!(tier_of("杭州"), "tier2");
        assert_eq!(tier_of("婺源"), "tier3");
        assert_eq!(tier_of("赣州市"), "tier3");
        assert_eq!(tier_of("甘孜"), "rural");
        assert!(
            TIERS.len() > 330,
            "every prefecture-level division is listed"
        );
    }
}
