//! The collection side of the store: tags and collection state of
//! customers, disputes, promises, payment plans, dunning runs and their
//! messages, call tasks and the customer timeline.
//!
//! [`CollectionRead`] and [`CollectionWrite`] are supertraits of
//! [`crate::ReadTx`] and [`crate::WriteTx`], so every transaction
//! has these methods; it is a separate trait only to keep the ledger and the
//! collection vocabulary apart.

use tegoed_core::agreements::{PlanStatus, PromiseStatus};
use tegoed_core::appreciation::{Reason, Suggested};
use tegoed_core::strategy::{Channel, Effect, StepKind};
use tegoed_core::{AccountManagerId, CustomerId, Date, InvoiceId, Language, Money};

use crate::Result;

/// Where a customer stands in collection, besides their invoices.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CollectionState {
    /// On credit hold since (sales sees it before the next deal).
    pub credit_hold_since: Option<Date>,
    pub credit_hold_reason: Option<String>,
    /// No dunning up to and including this day.
    pub pause_until: Option<Date>,
    pub pause_reason: Option<String>,
    /// Handed to the collection agency on this day: no internal dunning.
    pub handed_off_on: Option<Date>,
}

impl CollectionState {
    pub fn is_paused_on(&self, date: Date) -> bool {
        self.pause_until.is_some_and(|until| date <= until)
    }
}

/// A dispute about an invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    pub invoice: InvoiceId,
    pub customer: CustomerId,
    pub opened_on: Date,
    pub reason: String,
    pub resolved_on: Option<Date>,
    pub resolution: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDispute {
    pub id: i64,
    pub dispute: Dispute,
}

/// A promise to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promise {
    pub customer: CustomerId,
    pub created_on: Date,
    pub amount: Money,
    pub promised_on: Date,
    pub status: PromiseStatus,
    /// When the status became kept or broken.
    pub status_on: Option<Date>,
    pub note: Option<String>,
    /// The invoices the promise covers (dunning on them pauses until the
    /// promised date).
    pub invoices: Vec<InvoiceId>,
}

/// The payment agreement made at the sale: the terms the customer heard
/// and agreed to, with whom, on what day (reminders quote it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleAgreement {
    pub customer: CustomerId,
    pub agreed_on: Date,
    pub terms_days: u32,
    /// `transfer` or `direct_debit`.
    pub method: String,
    /// Where the invoices go, when the customer named an address.
    pub invoice_contact: Option<String>,
    /// The person at the customer who agreed.
    pub agreed_with: String,
    /// Who on our side made it (the salesperson).
    pub agreed_by: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSaleAgreement {
    pub id: i64,
    pub agreement: SaleAgreement,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPromise {
    pub id: i64,
    pub promise: Promise,
}

/// A payment plan (betalingsregeling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentPlan {
    pub customer: CustomerId,
    pub created_on: Date,
    pub total: Money,
    pub instalments: u32,
    pub first_due: Date,
    /// "1m", "2w", "14d".
    pub interval: String,
    pub status: PlanStatus,
    pub status_on: Option<Date>,
    pub invoices: Vec<InvoiceId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPlan {
    pub id: i64,
    pub plan: PaymentPlan,
}

/// A suggestion to thank a customer (or give a gift), raised once for the
/// day its trigger became true.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appreciation {
    pub customer: CustomerId,
    pub reason: Reason,
    /// The day the trigger became true (with reason and `ref_id` the key
    /// that keeps it from being raised twice).
    pub since: Date,
    /// The plan or promise it is about (0 for the others).
    pub ref_id: i64,
    pub suggested: Suggested,
    /// What backs it, in English and in Dutch.
    pub evidence: String,
    pub evidence_nl: String,
    /// The day it was raised.
    pub raised_on: Date,
}

/// What became of a suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppreciationStatus {
    Open,
    /// A thank-you was sent.
    Thanked,
    /// A gift was logged.
    Gifted,
    Dismissed,
    /// No longer true (something fell overdue before anyone acted).
    Lapsed,
}

impl AppreciationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppreciationStatus::Open => "open",
            AppreciationStatus::Thanked => "thanked",
            AppreciationStatus::Gifted => "gifted",
            AppreciationStatus::Dismissed => "dismissed",
            AppreciationStatus::Lapsed => "lapsed",
        }
    }

    pub fn parse(text: &str) -> Option<AppreciationStatus> {
        [
            AppreciationStatus::Open,
            AppreciationStatus::Thanked,
            AppreciationStatus::Gifted,
            AppreciationStatus::Dismissed,
            AppreciationStatus::Lapsed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAppreciation {
    pub id: i64,
    pub appreciation: Appreciation,
    pub status: AppreciationStatus,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
    /// The thank-you message, when one was sent.
    pub message: Option<i64>,
}

/// A relationship gift, against the account manager's quarterly budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gift {
    pub customer: CustomerId,
    /// Whose budget it comes from (the customer's account manager).
    pub account_manager: Option<AccountManagerId>,
    /// The suggestion it answers, if any.
    pub appreciation: Option<i64>,
    pub given_on: Date,
    pub item: String,
    pub value: Money,
    /// Who logged it.
    pub logged_by: String,
}

/// Where a gift stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GiftStatus {
    Given,
    /// Over the budget: waits for a credit manager.
    AwaitingApproval,
    Refused,
}

impl GiftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GiftStatus::Given => "given",
            GiftStatus::AwaitingApproval => "awaiting_approval",
            GiftStatus::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<GiftStatus> {
        [
            GiftStatus::Given,
            GiftStatus::AwaitingApproval,
            GiftStatus::Refused,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredGift {
    pub id: i64,
    pub gift: Gift,
    pub status: GiftStatus,
    /// Who approved or refused it (over budget), and when.
    pub decided_by: Option<String>,
    pub decided_on: Option<Date>,
}

/// Where a dunning message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Recorded, not yet delivered.
    Queued,
    Sent,
    /// Delivery failed (the error is kept); retried by the next run.
    Failed,
    /// Not delivered on its day; its invoices were planned again.
    Cancelled,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<MessageStatus> {
        match text {
            "queued" => Some(MessageStatus::Queued),
            "sent" => Some(MessageStatus::Sent),
            "failed" => Some(MessageStatus::Failed),
            "cancelled" => Some(MessageStatus::Cancelled),
            _ => None,
        }
    }
}

/// An invoice covered by a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageItem {
    pub invoice: InvoiceId,
    pub open_minor: i64,
    pub interest_minor: i64,
    pub days_overdue: i32,
    /// The step this message gave the invoice (its rung) and that step's
    /// kind; `None` when it was only listed as also open.
    pub step: Option<(String, StepKind)>,
}

/// One rung of an invoice's ladder: a step a message gave it, or one an
/// earlier system sent (imported history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderRow {
    pub invoice: InvoiceId,
    /// `None` for imported history without a strategy.
    pub strategy: Option<String>,
    pub step: String,
    /// `None` for items recorded before kinds were kept: the app reads it
    /// from the configuration.
    pub kind: Option<StepKind>,
    pub on: Date,
    pub pay_by: Option<Date>,
    pub channel: Option<Channel>,
    /// The message, or `None` for imported history.
    pub message: Option<i64>,
    /// For a 14-day letter: the last day to pay without costs.
    pub fourteen_day_until: Option<Date>,
}

/// A step an earlier system sent, to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryRow {
    pub invoice: InvoiceId,
    pub on: Date,
    pub step: String,
    pub kind: StepKind,
    pub channel: Option<Channel>,
    pub strategy: Option<String>,
}

/// What a 14-day letter announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FourteenDayRecord {
    pub received_on: Date,
    pub pay_without_costs_until: Date,
    pub stated_costs_minor: i64,
}

/// A dunning message as planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub customer: CustomerId,
    pub as_of: Date,
    pub segment: String,
    pub strategy: String,
    pub step_id: String,
    pub step_offset: i32,
    pub channel: Channel,
    pub language: Language,
    pub recipient: Option<String>,
    pub sender_name: String,
    pub sender_email: Option<String>,
    pub subject: String,
    pub body_text: String,
    /// The structured document (JSON) that text, HTML and PDF are laid
    /// out from.
    pub document: String,
    pub currency: tegoed_core::Currency,
    pub principal_minor: i64,
    pub interest_minor: i64,
    pub costs_minor: i64,
    pub vat_uplift_minor: i64,
    pub credit_minor: i64,
    /// The deadline the message gives.
    pub pay_by: Option<Date>,
    pub effects: Vec<Effect>,
    pub fourteen_day: Option<FourteenDayRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: i64,
    pub run: i64,
    pub message: Message,
    pub status: MessageStatus,
    pub delivered_on: Option<Date>,
    pub file_path: Option<String>,
    pub error: Option<String>,
}

/// Which messages to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<MessageStatus>,
    pub run: Option<i64>,
    /// Messages of this run date.
    pub as_of: Option<Date>,
    /// Messages of this run date or later.
    pub since: Option<Date>,
}

/// A call (or other work) for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub customer: CustomerId,
    pub message: Option<i64>,
    pub kind: String,
    pub created_on: Date,
    pub due_on: Date,
    pub assignee: Option<String>,
    pub title: String,
    pub talking_points: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTask {
    pub id: i64,
    pub task: Task,
    pub done_on: Option<Date>,
    pub outcome: Option<String>,
}

/// Something that happened with a customer (besides invoices and payments,
/// which the timeline takes from the ledger).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEvent {
    pub customer: CustomerId,
    pub date: Date,
    /// `message_sent`, `call_planned`, `call_done`, `note`, `promise_made`,
    /// `promise_kept`, `promise_broken`, `dispute_opened`, `dispute_resolved`,
    /// `plan_created`, `plan_completed`, `plan_broken`, `pause`,
    /// `credit_hold`, `credit_hold_released`, `handed_off`, `tag`.
    pub kind: String,
    pub invoice: Option<InvoiceId>,
    /// The message, task, promise, plan or dispute it is about.
    pub ref_id: Option<i64>,
    /// In English (a note: as written).
    pub text: String,
    /// In Dutch, when Tegoed wrote it.
    pub text_nl: Option<String>,
    pub author: Option<String>,
}

impl TimelineEvent {
    /// The text in `language` (English when there is no Dutch).
    pub fn text_in(&self, language: tegoed_core::Language) -> &str {
        match (language, &self.text_nl) {
            (tegoed_core::Language::Nl, Some(nl)) => nl,
            _ => &self.text,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub event: TimelineEvent,
}

/// Who holds a run lease (see [`CollectionWrite::put_lease`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// What is leased, e.g. `dunning`.
    pub name: String,
    /// Random per holder: whoever has this token holds the lease.
    pub token: String,
    /// Who started the work, in words (user, host, process).
    pub holder: String,
    pub host: String,
    pub pid: u32,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds; the holder renews it while it works.
    pub expires_at: i64,
}

/// Reads of the collection side, inside one transaction.
pub trait CollectionRead {
    // --- tags and state ---
    /// Every (customer, tag) pair.
    fn all_tags(&mut self) -> Result<Vec<(CustomerId, String)>>;
    fn tags_of(&mut self, customer: CustomerId) -> Result<Vec<String>>;
    /// Customers with any collection state set.
    fn collection_states(&mut self) -> Result<Vec<(CustomerId, CollectionState)>>;
    fn collection_state(&mut self, customer: CustomerId) -> Result<CollectionState>;
    /// The states of several customers (the default state for those with
    /// none), in the order asked. The default asks per customer; a remote
    /// backend does it in one round trip.
    fn collection_states_of(&mut self, customers: &[CustomerId]) -> Result<Vec<CollectionState>> {
        customers
            .iter()
            .map(|&customer| self.collection_state(customer))
            .collect()
    }
    /// The open dispute on an invoice.
    fn open_dispute_on(&mut self, invoice: InvoiceId) -> Result<Option<StoredDispute>>;
    /// Disputes of one customer, or all; open ones only when asked.
    fn disputes(
        &mut self,
        customer: Option<CustomerId>,
        open_only: bool,
    ) -> Result<Vec<StoredDispute>>;
    /// Payment agreements made at the sale, of one customer or all, by
    /// customer and then oldest first.
    fn sale_agreements(&mut self, customer: Option<CustomerId>)
    -> Result<Vec<StoredSaleAgreement>>;
    /// Promises of one customer, or all; pending ones only when asked.
    fn promises(
        &mut self,
        customer: Option<CustomerId>,
        pending_only: bool,
    ) -> Result<Vec<StoredPromise>>;
    /// Plans of one customer, or all; active ones only when asked.
    fn plans(&mut self, customer: Option<CustomerId>, active_only: bool)
    -> Result<Vec<StoredPlan>>;
    /// Money applied to these invoices (payments and credit notes) with an
    /// allocation date from `from` to `to`, both included.
    fn allocated_between(&mut self, invoices: &[InvoiceId], from: Date, to: Date) -> Result<i64>;
    fn message(&mut self, id: i64) -> Result<Option<StoredMessage>>;
    /// Messages, oldest first.
    fn messages(&mut self, filter: MessageFilter) -> Result<Vec<StoredMessage>>;
    fn message_items(&mut self, message: i64) -> Result<Vec<MessageItem>>;
    /// The items of several messages, each with its message's id. The
    /// default asks per message; a remote backend does it in one round trip.
    fn message_items_of(&mut self, messages: &[i64]) -> Result<Vec<(i64, MessageItem)>> {
        let mut out = Vec::new();
        for &id in messages {
            out.extend(self.message_items(id)?.into_iter().map(|item| (id, item)));
        }
        Ok(out)
    }
    /// The lease `name`, when someone holds or held it.
    fn lease(&mut self, name: &str) -> Result<Option<Lease>>;
    /// Every rung of every invoice: the steps messages gave (not
    /// cancelled) and the imported history; in no particular order.
    fn ladder(&mut self) -> Result<Vec<LadderRow>>;
    /// The rungs of one customer's invoices.
    fn ladder_of(&mut self, customer: CustomerId) -> Result<Vec<LadderRow>>;
    fn task(&mut self, id: i64) -> Result<Option<StoredTask>>;
    /// Tasks (of one customer, or everyone's), oldest due first; open ones
    /// only when asked.
    fn tasks(&mut self, customer: Option<CustomerId>, open_only: bool) -> Result<Vec<StoredTask>>;
    /// Events of a customer, in date and insertion order.
    fn events(&mut self, customer: CustomerId) -> Result<Vec<StoredEvent>>;

    // --- appreciation ---
    /// Suggestions of one customer, or all; open ones only when asked;
    /// oldest first.
    fn appreciations(
        &mut self,
        customer: Option<CustomerId>,
        open_only: bool,
    ) -> Result<Vec<StoredAppreciation>>;
    /// Gifts of one customer, or all, oldest first.
    fn gifts(&mut self, customer: Option<CustomerId>) -> Result<Vec<StoredGift>>;
    /// What customers did on their page from `since` on, of one customer
    /// or all, newest first.
    fn portal_requests(
        &mut self,
        customer: Option<CustomerId>,
        since: Date,
    ) -> Result<Vec<crate::StoredPortalRequest>>;
}

/// Writes of the collection side, inside one write transaction.
pub trait CollectionWrite: CollectionRead {
    /// `false` when the customer had the tag already.
    fn add_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool>;
    /// `false` when the customer did not have the tag.
    fn remove_tag(&mut self, customer: CustomerId, tag: &str) -> Result<bool>;
    fn set_collection_state(&mut self, customer: CustomerId, state: &CollectionState)
    -> Result<()>;

    // --- disputes ---
    fn insert_dispute(&mut self, dispute: &Dispute) -> Result<i64>;
    fn resolve_dispute(&mut self, id: i64, on: Date, resolution: Option<&str>) -> Result<()>;

    // --- promises and plans ---
    fn insert_promise(&mut self, promise: &Promise) -> Result<i64>;
    fn insert_sale_agreement(&mut self, agreement: &SaleAgreement) -> Result<i64>;
    fn set_promise_status(&mut self, id: i64, status: PromiseStatus, on: Date) -> Result<()>;
    fn insert_plan(&mut self, plan: &PaymentPlan) -> Result<i64>;
    fn set_plan_status(&mut self, id: i64, status: PlanStatus, on: Date) -> Result<()>;

    // --- dunning ---
    /// Starts a run; its messages are inserted with [`Self::insert_message`].
    fn insert_run(&mut self, as_of: Date) -> Result<i64>;
    fn set_run_messages(&mut self, run: i64, messages: u64) -> Result<()>;
    /// Records a message (status queued) with the invoices it covers.
    fn insert_message(&mut self, run: i64, message: &Message, items: &[MessageItem])
    -> Result<i64>;
    /// [`Self::insert_message`] for many messages; gives their ids in the
    /// order given. The default inserts one by one; a remote backend sends
    /// them in a few statements.
    fn insert_messages(
        &mut self,
        run: i64,
        messages: &[(&Message, &[MessageItem])],
    ) -> Result<Vec<i64>> {
        messages
            .iter()
            .map(|(message, items)| self.insert_message(run, message, items))
            .collect()
    }
    fn set_message_status(
        &mut self,
        id: i64,
        status: MessageStatus,
        delivered_on: Option<Date>,
        file_path: Option<&str>,
        error: Option<&str>,
    ) -> Result<()>;
    /// Claims a queued (or failed) message for delivery by `token`: a
    /// conditional update that succeeds for one claimant only. `false` when
    /// the message is no longer waiting or someone else claimed it.
    fn claim_message(&mut self, id: i64, token: &str) -> Result<bool>;
    /// [`Self::claim_message`] for many messages at once; gives the ids
    /// this claimant won, in the order asked.
    fn claim_messages(&mut self, ids: &[i64], token: &str) -> Result<Vec<i64>> {
        let mut won = Vec::with_capacity(ids.len());
        for &id in ids {
            if self.claim_message(id, token)? {
                won.push(id);
            }
        }
        Ok(won)
    }
    /// Marks delivered messages sent on `on` (with the file each was
    /// written to, if any), only those still queued or failed: a message
    /// someone else marked meanwhile is left as it is. Gives the ids that
    /// were marked, in the order given.
    fn mark_messages_sent(&mut self, sent: &[(i64, Option<&str>)], on: Date) -> Result<Vec<i64>> {
        let mut marked = Vec::with_capacity(sent.len());
        for &(id, path) in sent {
            let waiting = self
                .message(id)?
                .is_some_and(|m| matches!(m.status, MessageStatus::Queued | MessageStatus::Failed));
            if waiting {
                self.set_message_status(id, MessageStatus::Sent, Some(on), path, None)?;
                marked.push(id);
            }
        }
        Ok(marked)
    }
    /// Frees the claims on undelivered messages held by anyone but `token`
    /// (claims left by a run that is gone); returns how many.
    fn release_claims(&mut self, except_token: &str) -> Result<u64>;
    /// Takes or renews a lease, atomically: inserts it when nobody holds
    /// `lease.name`, or replaces the row whose token is `replacing` (the
    /// holder's own token to renew, or a stale holder's to take over).
    /// `false` when the row holds another token (someone else got there
    /// first).
    fn put_lease(&mut self, lease: &Lease, replacing: Option<&str>) -> Result<bool>;
    /// Gives a lease up (only when `token` still holds it).
    fn release_lease(&mut self, name: &str, token: &str) -> Result<()>;
    /// Records a step an earlier system sent (keyed by invoice, day and
    /// step).
    fn insert_history(&mut self, row: &HistoryRow) -> Result<crate::Upsert>;

    // --- appreciation ---
    /// Raises suggestions (open), skipping any already raised with the same
    /// customer, reason, `since` and `ref_id` — also when two processes
    /// raise at once. Gives the ids of those newly raised.
    fn insert_appreciations(&mut self, list: &[Appreciation]) -> Result<Vec<i64>>;
    /// Closes an open suggestion; `false` when it was not open (someone
    /// else acted first).
    fn decide_appreciation(
        &mut self,
        id: i64,
        status: AppreciationStatus,
        on: Date,
        by: &str,
        message: Option<i64>,
    ) -> Result<bool>;
    fn insert_gift(&mut self, gift: &Gift, status: GiftStatus) -> Result<i64>;
    /// Approves or refuses a gift awaiting approval; `false` when it was
    /// not waiting.
    fn decide_gift(&mut self, id: i64, status: GiftStatus, on: Date, by: &str) -> Result<bool>;

    /// Records a portal request; `None` when the customer made the same
    /// request (same fingerprint) before: nothing is recorded twice.
    fn insert_portal_request(&mut self, request: &crate::PortalRequest) -> Result<Option<i64>>;
    /// What became of a portal request.
    fn set_portal_request_result(
        &mut self,
        id: i64,
        outcome: &str,
        why: Option<&str>,
        ref_id: Option<i64>,
        task: Option<i64>,
    ) -> Result<()>;

    // --- tasks ---
    fn insert_task(&mut self, task: &Task) -> Result<i64>;
    fn complete_task(&mut self, id: i64, on: Date, outcome: &str) -> Result<()>;

    // --- timeline ---
    fn add_event(&mut self, event: &TimelineEvent) -> Result<i64>;
    /// Adds several events, in order. The default adds them one by one; a
    /// remote backend sends them in one statement.
    fn add_events(&mut self, events: &[TimelineEvent]) -> Result<()> {
        for event in events {
            self.add_event(event)?;
        }
        Ok(())
    }
}
