//! PostgreSQL maintenance as a deployment runs it: the catalog's database is
//! owned by an ordinary role, not a superuser. `maintain` must ANALYZE the
//! catalog's own tables and nothing else (a database-wide ANALYZE warns once
//! per system catalog that role may not analyze, at every start).
//!
//! Needs `CV_TEST_POSTGRES_URL` (a superuser, to create the role), like the
//! contract suite; `CV_TEST_SKIP_SERVICES=1` skips it on purpose.

use std::collections::BTreeSet;

use callvault_store::open_catalog;
use sqlx::Row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintain_analyzes_the_catalog_tables_only() {
    let Ok(admin_url) = std::env::var("CV_TEST_POSTGRES_URL") else {
        if std::env::var("CV_TEST_SKIP_SERVICES").as_deref() == Ok("1") {
            eprintln!("skipping the PostgreSQL maintenance test: CV_TEST_SKIP_SERVICES=1");
            return;
        }
        panic!("CV_TEST_POSTGRES_URL is not set (or set CV_TEST_SKIP_SERVICES=1)");
    };
    let name = format!("cv_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE ROLE {name} LOGIN NOSUPERUSER")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {name}")).execute(&admin).await.unwrap();
    admin.close().await;

    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    url.set_username(&name).unwrap();
    let catalog = open_catalog(url.as_str(), 2).await.unwrap();
    catalog.maintain().await.unwrap();

    let db = sqlx::PgPool::connect(url.as_str()).await.unwrap();
    let names = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query(sql)
                .fetch_all(&db)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect::<BTreeSet<_>>()
        }
    };
    // Shared catalogs (pg_authid, pg_database...) are left out: their
    // statistics show ANALYZEs run in any database of the cluster.
    let analyzed = names(
        "SELECT s.schemaname || '.' || s.relname FROM pg_stat_all_tables s \
         JOIN pg_class c ON c.oid = s.relid WHERE s.last_analyze IS NOT NULL AND NOT c.relisshared",
    )
    .await;
    let ours = names(
        "SELECT schemaname || '.' || tablename FROM pg_tables WHERE tableowner = current_user",
    )
    .await;
    assert!(ours.contains("public.recordings"), "the catalog's tables: {ours:?}");
    assert_eq!(analyzed, ours, "maintain analyzed other tables than the catalog's");
}
