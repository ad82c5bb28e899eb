//! Aging (ouderdomsanalyse): open amounts per bucket of days overdue.

use crate::money::{MoneyError, add_minor, sum_minor};

/// How far past its due date an open item is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Bucket {
    NotDue,
    Days1To30,
    Days31To60,
    Days61To90,
    Over90,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::NotDue,
        Bucket::Days1To30,
        Bucket::Days31To60,
        Bucket::Days61To90,
        Bucket::Over90,
    ];

    /// The bucket for an item `days_overdue` days past due (0 or less: not due).
    pub fn of(days_overdue: i32) -> Bucket {
        match days_overdue {
            i32::MIN..=0 => Bucket::NotDue,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::Over90,
        }
    }

    /// Stable key used in JSON and CSV output.
    pub fn key(self) -> &'static str {
        match self {
            Bucket::NotDue => "not_due",
            Bucket::Days1To30 => "1_30",
            Bucket::Days31To60 => "31_60",
            Bucket::Days61To90 => "61_90",
            Bucket::Over90 => "over_90",
        }
    }

    /// Column heading for people.
    pub fn label(self) -> &'static str {
        match self {
            Bucket::NotDue => "not due",
            Bucket::Days1To30 => "1-30",
            Bucket::Days31To60 => "31-60",
            Bucket::Days61To90 => "61-90",
            Bucket::Over90 => ">90",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Open amounts and item counts per bucket.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct BucketTotals {
    pub amounts: [i64; 5],
    pub counts: [u64; 5],
}

impl BucketTotals {
    /// Adds an open item; a bucket whose total would overflow is an error,
    /// never a wrong number.
    pub fn add(&mut self, days_overdue: i32, open_minor: i64) -> Result<(), MoneyError> {
        self.add_items(days_overdue, open_minor, 1)
    }

    /// Adds `count` open items, `open_minor` together, all `days_overdue`.
    pub fn add_items(
        &mut self,
        days_overdue: i32,
        open_minor: i64,
        count: u64,
    ) -> Result<(), MoneyError> {
        let idx = Bucket::of(days_overdue).index();
        self.amounts[idx] = add_minor(self.amounts[idx], open_minor)?;
        self.counts[idx] += count;
        Ok(())
    }

    pub fn merge(&mut self, other: &BucketTotals) -> Result<(), MoneyError> {
        for idx in 0..5 {
            self.amounts[idx] = add_minor(self.amounts[idx], other.amounts[idx])?;
            self.counts[idx] += other.counts[idx];
        }
        Ok(())
    }

    /// All buckets. Each bucket was checked as it grew; the total of five
    /// is checked too.
    pub fn total(&self) -> Result<i64, MoneyError> {
        sum_minor(self.amounts)
    }

    pub fn overdue(&self) -> Result<i64, MoneyError> {
        sum_minor(self.amounts[1..].iter().copied())
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges() {
        let cases = [
            (-5, Bucket::NotDue),
            (0, Bucket::NotDue),
            (1, Bucket::Days1To30),
            (30, Bucket::Days1To30),
            (31, Bucket::Days31To60),
            (60, Bucket::Days31To60),
            (61, Bucket::Days61To90),
            (90, Bucket::Days61To90),
            (91, Bucket::Over90),
        ];
        for (days, bucket) in cases {
            assert_eq!(Bucket::of(days), bucket, "{days} days");
        }
    }

    #[test]
    fn totals() {
        let mut totals = BucketTotals::default();
        totals.add(0, 100).unwrap();
        totals.add(45, 250).unwrap();
        totals.add(200, 50).unwrap();
        assert_eq!(totals.total(), Ok(400));
        assert_eq!(totals.overdue(), Ok(300));
        assert_eq!(totals.counts, [1, 0, 1, 0, 1]);
    }

    #[test]
    fn aging_totals_that_overflow_are_an_error_not_a_wrong_number() {
        // Regression: two invoices of i64::MAX cents put a total € 0,02 low.
        let mut totals = BucketTotals::default();
        totals.add(45, i64::MAX).unwrap();
        assert_eq!(totals.add(45, i64::MAX), Err(MoneyError::Overflow));
        let mut spread = BucketTotals::default();
        spread.add(10, i64::MAX).unwrap();
        spread.add(40, i64::MAX).unwrap();
        assert_eq!(spread.total(), Err(MoneyError::Overflow));
        assert_eq!(spread.overdue(), Err(MoneyError::Overflow));
    }
}
