//! Who to look at first: the overdue amount weighed by the risk class. The
//! collectors' call list and the sales/credit meeting's customers to
//! discuss are ordered by it, so a large amount with a good payer and a
//! small one with a poor payer are weighed against each other the same way
//! everywhere.

/// What a risk class weighs: A 1, B 2, C 3, D 4, E 5; a customer without a
/// class (no model, or too new) counts as the middle, 3.
pub fn class_weight(class: Option<char>) -> i64 {
    match class {
        Some('A') => 1,
        Some('B') => 2,
        Some('D') => 4,
        Some('E') => 5,
        _ => 3,
    }
}

/// Overdue (minor units) × the class weight; never overflows.
pub fn priority(overdue_minor: i64, class: Option<char>) -> i64 {
    overdue_minor.max(0).saturating_mul(class_weight(class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poor_payer_with_less_overdue_can_come_first() {
        assert!(priority(100_000, Some('E')) > priority(400_000, Some('A')));
        assert_eq!(priority(100, None), 300);
        assert_eq!(priority(-5, Some('E')), 0);
        assert_eq!(priority(i64::MAX, Some('E')), i64::MAX);
    }
}
