//! Test databases for the suite: the store's own `testing` module, with a skip message for PostgreSQL.

pub use crossdock_store::testing::TestDb;

pub async fn sqlite() -> Option<TestDb> {
    Some(crossdock_store::testing::sqlite().expect("temporary folder"))
}

pub async fn postgres() -> Option<TestDb> {
    let db = crossdock_store::testing::postgres().await.expect("a fresh schema on CROSSDOCK_TEST_PG_URL");
    if db.is_none() {
        println!("skipping PostgreSQL store suite: CROSSDOCK_TEST_PG_URL not set");
    }
    db
}
