//! The store conformance suite: the same cases run against SQLite (a temporary file) and PostgreSQL (a
//! fresh schema per test, when `CROSSDOCK_TEST_PG_URL` is set), Quickwit style.

mod cases_audit;
mod cases_backup;
mod cases_claims;
mod cases_console;
mod cases_delivery;
mod cases_edi;
mod cases_kpis;
mod cases_log;
mod cases_orchestration;
mod cases_pii;
mod cases_pii_records;
mod cases_queries;
mod cases_retention;
mod cases_sending;
mod cases_sourcing;
mod cases_writes;
mod fixtures;
mod harness;

/// Expands to one test per case for one backend; `$harness` is an async fn returning `Option<TestDb>`
/// (`None` skips the case).
macro_rules! store_test_suite {
    ($backend:ident, $harness:path) => {
        mod $backend {
            store_test_suite!(@cases $harness;
                cases_writes::place_and_read_back,
                cases_audit::every_command_is_audited_with_who_where_what_and_versions,
                cases_audit::two_stores_writing_at_once_extend_one_chain,
                cases_audit::tampering_by_raw_sql_is_caught_at_the_first_bad_entry,
                cases_audit::backorder_refills_are_audited_as_the_hub,
                cases_writes::idempotent_replay_returns_the_original_receipt,
                cases_writes::key_reuse_with_another_body_is_refused,
                cases_writes::refused_command_stores_nothing,
                cases_writes::version_conflict_stores_nothing,
                cases_writes::batch_with_refused_commands_commits_the_others,
                cases_writes::orders_placed_and_allocated_in_one_batch,
                cases_writes::concurrent_submits_are_all_durable_and_answered,
                cases_writes::two_stores_racing_on_one_order_lose_no_update,
                cases_sourcing::concurrent_orders_never_oversell_and_backorders_fill_in_order,
                cases_log::event_log_keeps_order_and_versions,
                cases_log::events_after_pages_through_the_log,
                cases_log::heads_and_kind_pages_match_the_full_log,
                cases_log::reopened_store_has_everything,
                cases_queries::list_orders_filters_and_pages,
                cases_queries::order_ids_with_a_prefix,
                cases_queries::inventory_and_locations,
                cases_queries::ids_with_slashes_name_separate_aggregates,
                cases_queries::api_keys_insert_get_list_revoke,
                cases_console::one_aggregate_has_its_events_and_deliveries,
                cases_delivery::schedule_moves_the_cursor_with_compare_and_set,
                cases_delivery::schedule_many_applies_each_subscription_in_one_transaction,
                cases_delivery::claim_orders_per_aggregate_and_respects_leases,
                cases_delivery::retries_wait_and_dead_letters_do_not_block,
                cases_delivery::deferred_and_discarded_deliveries_record_no_attempt,
                cases_delivery::dead_letters_filter_page_replay_and_discard,
                cases_delivery::replay_a_subscription_from_a_sequence_number,
                cases_delivery::concurrent_claimers_share_work_without_overlap,
                cases_claims::re_pointing_a_subscription_moves_its_pending_and_dead_rows,
                cases_claims::a_replayed_delivered_row_starts_over,
                cases_claims::an_unreadable_event_is_dead_lettered_and_the_others_are_claimed,
                cases_claims::one_subscriptions_backlog_does_not_starve_another,
                cases_sending::sent_deliveries_are_recorded_delivered_or_held_for_their_sender,
                cases_sending::a_held_delivery_is_leased_from_when_it_is_written,
                cases_sending::the_sender_lease_goes_to_one_owner_at_a_time,
                cases_sending::events_at_reads_those_events_in_order,
                cases_sending::recent_events_follow_the_cursor_until_an_event_this_process_did_not_commit,
                cases_edi::interchanges_insert_filter_page_and_acknowledge,
                cases_edi::control_numbers_are_never_reused,
                cases_edi::short_references_sent_resolve_to_their_order_per_partner,
                cases_edi::an_unwritten_acknowledgement_is_found_by_the_input_until_written,
                cases_kpis::delivery_samples_carry_commit_acknowledgement_and_dead_letters,
                cases_kpis::integration_kpis_in_sql_equal_the_engines_over_the_samples,
                cases_kpis::reads_of_a_recent_period_start_near_its_first_deliveries,
                cases_retention::old_settled_deliveries_go_and_pending_dead_and_new_ones_stay,
                cases_retention::deliveries_are_pruned_in_chunks_across_more_rows_than_one,
                cases_retention::old_idempotency_records_go_and_a_retry_after_them_is_a_new_request,
                cases_retention::a_replay_from_before_the_cutoff_re_creates_the_pruned_deliveries,
                cases_retention::integration_kpis_still_compute_over_what_is_left,
                cases_retention::a_delivery_created_before_the_cutoff_and_delivered_since_stays,
                cases_retention::chunks_step_over_runs_of_dead_letters_longer_than_a_chunk,
                cases_retention::markers_of_unwritten_acknowledgements_go_with_the_deliveries_cutoff,
                cases_orchestration::cancel_after_release_waits_for_the_warehouse,
                cases_orchestration::a_return_authorised_online_is_received_in_a_store_with_its_refund,
                cases_orchestration::channel_availability_is_recorded_only_when_it_changes,
                cases_orchestration::the_feed_publishes_one_debounced_change_per_burst_and_none_without_a_change,
                cases_pii::pii_is_sealed_at_rest_and_read_back_in_plaintext,
                cases_pii::two_stores_creating_a_customers_key_at_once_both_seal_under_the_stored_one,
                cases_pii::erasure_shreds_a_customers_pii_and_keeps_the_orders,
                cases_pii::export_gathers_a_customers_orders_and_events,
                cases_pii::a_store_without_a_master_key_never_shows_sealed_values,
                cases_pii::a_failed_sourcing_stores_no_postal_code,
                cases_pii::the_tax_report_is_the_same_after_erasure,
                cases_pii_records::dead_letters_and_interchanges_are_sealed_at_rest,
                cases_pii_records::erasure_shreds_dead_letters_and_interchanges_and_is_audited,
                cases_pii_records::pii_recorded_after_erasure_stays_erased,
                cases_pii_records::a_key_file_without_tombstones_opens,
            );
        }
    };
    (@cases $harness:path; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(db) = $harness().await else { return };
                crate::$module::$case(&db).await;
            }
        )*
    };
}

store_test_suite!(sqlite, crate::harness::sqlite);
store_test_suite!(postgres, crate::harness::postgres);

/// Row-lock order is PostgreSQL's concern only (SQLite has one writer at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_crossed_completes_do_not_deadlock() {
    let Some(db) = harness::postgres().await else { return };
    cases_claims::crossed_completes_do_not_deadlock(&db).await;
}

#[tokio::test]
async fn open_refuses_unknown_schemes_and_memory_databases() {
    for url in ["mysql://localhost/x", "sqlite::memory:"] {
        let error = crossdock_store::open(url).await.err().unwrap_or_else(|| panic!("{url} opened"));
        assert!(!error.to_string().is_empty());
    }
}

/// The writer does not checkpoint (`wal_autocheckpoint = 0`); the store's checkpointer copies the WAL back
/// into the database file in the background, so the file grows as commands are committed.
#[tokio::test]
async fn sqlite_checkpoints_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = crossdock_store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let before = std::fs::metadata(&path).unwrap().len();
    for i in 0..200 {
        let request = fixtures::request(&format!("k-{i}"), fixtures::place(&format!("o-{i}"), "web"));
        store.submit(request).await.unwrap();
    }
    let wal = dir.path().join("store.db-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() <= before {
        assert!(std::time::Instant::now() < deadline, "the database file stayed at {before} bytes");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
