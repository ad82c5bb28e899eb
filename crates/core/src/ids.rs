//! Internal record ids, one newtype per kind so a payment id can never be
//! passed where an invoice id is expected.
//!
//! These are the store's keys. The keys users see (customer number, invoice
//! number, payment id from the bank or the accounting package) are strings on
//! the records themselves.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A customer (debtor) record.
    CustomerId
);
id_type!(
    /// An account manager / salesperson record.
    AccountManagerId
);
id_type!(
    /// An invoice or credit note record.
    InvoiceId
);
id_type!(
    /// A payment record.
    PaymentId
);
