//! The use cases themselves check what the acting user may do (not only
//! the web pages): whatever edge calls them, a salesperson cannot pause
//! dunning or note on another account manager's customers, a collector
//! cannot manage users, and a refusal writes nothing.

use tegoed_app::access::{Actor, NewUser, Principal, Role};
use tegoed_app::demo::{self, DemoConfig};
use tegoed_app::{AppError, Silent, access, agreements, read_tx, write_tx};
use tegoed_core::{AccountManagerId, Date, Language};

mod common;

fn as_of() -> Date {
    Date::parse_iso("2026-11-25").unwrap()
}

fn actor(role: Role, account_manager: Option<AccountManagerId>) -> Actor {
    Actor::user(
        &Principal {
            id: 1,
            email: format!("{}@t.example", role.as_str()),
            name: String::new(),
            role,
            language: Language::En,
            account_manager,
        },
        1_700_000_000,
    )
}

#[test]
fn use_cases_refuse_what_the_actor_may_not_do_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "a");
    let system = Actor::system("test", 0);
    write_tx(&*store, |tx| {
        demo::fill(
            tx,
            &system,
            &DemoConfig {
                customers: 40,
                seed: 5,
                as_of: as_of(),
            },
            &Silent,
        )
    })
    .unwrap();
    // A customer of one account manager, and a salesperson who is another.
    let (number, owner, other) = {
        let mut tx = store.read().unwrap();
        let directory = tx.customer_directory().unwrap();
        let mine = directory
            .iter()
            .find(|c| c.account_manager.is_some())
            .unwrap();
        let owner = mine.account_manager.unwrap();
        let other = directory
            .iter()
            .filter_map(|c| c.account_manager)
            .find(|m| *m != owner)
            .unwrap();
        (mine.number.clone(), owner, other)
    };
    let audit_lines = || {
        read_tx(&*store, |tx| access::audit_log(tx, 1000))
            .unwrap()
            .len()
    };
    let before = audit_lines();

    let sales_other = actor(Role::Sales, Some(other));
    let refused = write_tx(&*store, |tx| {
        agreements::add_note(tx, &sales_other, &number, "not my customer", as_of())
    });
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let refused = write_tx(&*store, |tx| {
        agreements::pause(tx, &sales_other, &number, as_of().add_days(7), "x", as_of())
    });
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let collector = actor(Role::Collector, None);
    let refused = write_tx(&*store, |tx| {
        access::add_user(
            tx,
            &collector,
            &NewUser {
                email: "new@t.example",
                name: None,
                role: Role::Admin,
                language: Language::En,
                password: "long enough password",
                account_manager: None,
            },
        )
    });
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    assert_eq!(audit_lines(), before, "a refusal writes no audit line");
    let state = read_tx(&*store, |tx| agreements::state_of(tx, &number)).unwrap();
    assert_eq!(state.pause_until, None);

    // Their own account manager may note, and the line names them.
    let sales_own = actor(Role::Sales, Some(owner));
    write_tx(&*store, |tx| {
        agreements::add_note(tx, &sales_own, &number, "spoke to them", as_of())
    })
    .unwrap();
    let log = read_tx(&*store, |tx| access::audit_log(tx, 1)).unwrap();
    assert_eq!(
        (
            log[0].actor.as_str(),
            log[0].action.as_str(),
            log[0].subject.as_str()
        ),
        ("sales@t.example", "note.add", number.as_str())
    );
    assert_eq!(log[0].at, 1_700_000_000);
}

/// Adds a user with `role` (by the system, as `tegoed user add` does).
fn add_user(store: &dyn tegoed_store::Store, email: &str, role: Role) {
    write_tx(store, |tx| {
        access::add_user(
            tx,
            &Actor::system("test", 0),
            &NewUser {
                email,
                name: None,
                role,
                language: Language::Nl,
                password: "een lang wachtwoord",
                account_manager: None,
            },
        )
    })
    .unwrap();
}

/// Nobody could manage users any more once the last active administrator
/// was made a salesperson or disabled (an administrator could do it to
/// themself): the use case refuses it, and allows it once another
/// administrator is active.
#[test]
fn the_last_active_administrator_keeps_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "admins");
    let add = |email, role| add_user(&*store, email, role);
    add("a1@t.example", Role::Admin);
    add("c1@t.example", Role::Collector);
    let admin = actor(Role::Admin, None);
    let update = |email: &str, role: Option<Role>, disabled: Option<bool>| {
        write_tx(&*store, |tx| {
            access::update_user(tx, &admin, email, role, None, disabled)
        })
    };
    for (role, disabled) in [(Some(Role::Sales), None), (None, Some(true))] {
        match update("a1@t.example", role, disabled) {
            Err(AppError::Refused(tegoed_app::refusal::Refusal::LastAdministrator { .. })) => {}
            other => panic!("the last administrator was changed: {other:?}"),
        }
    }
    // Other users change as before; with a second administrator the first
    // may step down.
    update("c1@t.example", Some(Role::Sales), None).unwrap();
    add("a2@t.example", Role::Admin);
    let line = update("a1@t.example", Some(Role::CreditManager), None).unwrap();
    assert_eq!(line.role, "credit_manager");
    match update("a2@t.example", None, Some(true)) {
        Err(AppError::Refused(_)) => {}
        other => panic!("the last administrator was disabled: {other:?}"),
    }
}

/// Two administrators stepping down at the same moment: each sees the
/// other still active, and without a lock both would succeed and leave
/// nobody to manage users. The second waits for the first and is refused.
#[test]
fn two_administrators_stepping_down_at_once_leave_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::database(dir.path(), "admins_race");
    for email in ["a1@t.example", "a2@t.example"] {
        add_user(&*store, email, Role::Admin);
    }
    let admin = actor(Role::Admin, None);
    let barrier = std::sync::Barrier::new(2);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            write_tx(&*store, |tx| {
                let line =
                    access::update_user(tx, &admin, "a1@t.example", Some(Role::Sales), None, None)?;
                // The other steps down while this one is not committed yet.
                barrier.wait();
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(line)
            })
        });
        let second = scope.spawn(|| {
            barrier.wait();
            write_tx(&*store, |tx| {
                access::update_user(tx, &admin, "a2@t.example", None, None, Some(true))
            })
        });
        (first.join().unwrap(), second.join().unwrap())
    });
    assert!(first.is_ok(), "{first:?}");
    assert!(
        matches!(second, Err(AppError::Refused(_))),
        "both stepped down: {second:?}"
    );
    let users = read_tx(&*store, |tx| access::users(tx)).unwrap();
    let active_admins = users
        .iter()
        .filter(|u| u.role == "admin" && !u.disabled)
        .count();
    assert_eq!(active_admins, 1);
}
