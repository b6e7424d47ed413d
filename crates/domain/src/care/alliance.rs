//! How the housekeeping alliance (家政联盟) assigns an order no provider was
//! chosen for: of the providers that give the service in the resident's
//! district, the one with the fewest orders in hand, then the fewest it
//! declined lately, then the best rated lately, then by credit code, so the
//! same standing always picks the same provider.

use std::cmp::Ordering;

/// How many days back declines and ratings count.
pub const STANDING_DAYS: i64 = 90;

/// A provider's standing when an order is assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub code: String,
    /// Orders placed or accepted and not yet served.
    pub open: i64,
    /// Orders it declined in the last [`STANDING_DAYS`].
    pub declined: i64,
    /// Orders rated in the last [`STANDING_DAYS`], and their stars summed.
    pub rated: i64,
    pub stars: i64,
}

impl Standing {
    /// The provider's rating as the alliance weighs it: its stars with one
    /// more rating of three stars, so that a provider with few ratings is
    /// neither favoured nor shut out.
    fn weigh_rating(&self, other: &Standing) -> Ordering {
        let mine = (self.stars + 3) * (other.rated + 1);
        let theirs = (other.stars + 3) * (self.rated + 1);
        mine.cmp(&theirs)
    }
}

/// The provider the alliance assigns, of `candidates` (those that give the
/// service in the district); none when there is none.
pub fn pick(candidates: &[Standing]) -> Option<&Standing> {
    candidates.iter().min_by(|a, b| {
        a.open
            .cmp(&b.open)
            .then(a.declined.cmp(&b.declined))
            .then(b.weigh_rating(a))
            .then(a.code.cmp(&b.code))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(code: &str, open: i64, declined: i64, rated: i64, stars: i64) -> Standing {
        Standing {
            code: code.into(),
            open,
            declined,
            rated,
            stars,
        }
    }

    #[test]
    fn the_least_busy_then_the_most_reliable_then_the_best_rated() {
        assert_eq!(pick(&[]), None);
        let busy = s("A", 3, 0, 10, 50);
        let idle = s("B", 1, 2, 0, 0);
        assert_eq!(
            pick(&[busy.clone(), idle.clone()]).map(|p| &p.code[..]),
            Some("B")
        );
        let reliable = s("C", 1, 0, 1, 1);
        assert_eq!(
            pick(&[idle, reliable.clone()]).map(|p| &p.code[..]),
            Some("C")
        );
        // Ten five-star ratings outweigh one, and one outweighs none.
        let loved = s("D", 1, 0, 10, 50);
        let once = s("E", 1, 0, 1, 5);
        let new = s("F", 1, 0, 0, 0);
        assert_eq!(
            pick(&[once.clone(), loved.clone()]).map(|p| &p.code[..]),
            Some("D")
        );
        assert_eq!(
            pick(&[new.clone(), once.clone()]).map(|p| &p.code[..]),
            Some("E")
        );
        // A poorly rated provider comes after a new one.
        let poor = s("G", 1, 0, 4, 4);
        assert_eq!(pick(&[poor, new]).map(|p| &p.code[..]), Some("F"));
        // Equal standing: by code, whatever the order given.
        let (x, y) = (s("X", 0, 0, 0, 0), s("W", 0, 0, 0, 0));
        assert_eq!(pick(&[x.clone(), y.clone()]), pick(&[y, x]));
    }

    proptest! {
        /// Whatever the standings, the pick is one of them, has no more
        /// orders in hand than any other, and does not depend on the order
        /// they are given in.
        #[test]
        fn the_pick_is_the_least_busy_and_does_not_depend_on_the_order(
            standings in proptest::collection::vec((0..5i64, 0..3i64, 0..20i64, 0..5i64), 1..8)
        ) {
            let list: Vec<Standing> = standings
                .iter()
                .enumerate()
                .map(|(i, (open, declined, rated, avg))| s(&format!("P{i}"), *open, *declined, *rated, rated * avg.max(&1)))
                .collect();
            let chosen = pick(&list).expect("one");
            prop_assert!(list.iter().all(|o| chosen.open <= o.open));
            let mut reversed = list.clone();
            reversed.reverse();
            prop_assert_eq!(pick(&reversed), Some(chosen));
        }
    }
}
