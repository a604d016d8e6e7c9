//! Table definitions shared by both backends. Kept by hand in step with
//! `migrations/sqlite` and `migrations/postgres`.

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        email -> Text,
        notify_on -> Text,
        digest_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        post_slug -> Text,
        parent_id -> Nullable<Integer>,
        author_name -> Text,
        author_email -> Text,
        author_url -> Nullable<Text>,
        user_id -> Nullable<Integer>,
        body_markdown -> Text,
        body_html -> Text,
        status -> Text,
        notify -> Bool,
        no_answer_needed -> Bool,
        ip_hash -> Text,
        user_agent -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        wordpress_id -> Nullable<Integer>,
        notify_replies -> Bool,
        erased_at -> Nullable<Timestamp>,
        /// `domain::EmailKey` of `author_email`: what look-ups by address use.
        author_email_key -> Text,
        urgent -> Nullable<Text>,
        consent_version -> Nullable<Text>,
        consent_at -> Nullable<Timestamp>,
        consent_method -> Nullable<Text>,
        redacted_at -> Nullable<Timestamp>,
        reviewed_at -> Nullable<Timestamp>,
        review_reason -> Text,
        review_revision -> Nullable<Integer>,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        actor -> Text,
        action -> Text,
        comment_id -> Nullable<Integer>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Integer,
        username -> Text,
        ip_hash -> Text,
        succeeded -> Bool,
        created_at -> Timestamp,
        device -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    spent_form_tokens (token_hash) {
        token_hash -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    heartbeat (id) {
        id -> Integer,
        checked_at -> Timestamp,
    }
}

diesel::table! {
    redirects (old_path) {
        old_path -> Text,
        target -> Text,
    }
}

diesel::table! {
    subscribers (email) {
        email -> Text,
        confirmed_at -> Nullable<Timestamp>,
        stopped_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Integer,
        kind -> Text,
        recipient -> Text,
        comment_id -> Nullable<Integer>,
        user_id -> Nullable<Integer>,
        dedupe_key -> Text,
        held -> Bool,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Text,
        since -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    change_counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    articles (id) {
        id -> Integer,
        kind -> Text,
        slug -> Text,
        title -> Text,
        body -> Text,
        summary -> Text,
        tags -> Text,
        author -> Text,
        publish_at -> Timestamp,
        updated -> Nullable<Timestamp>,
        reviewed -> Nullable<Timestamp>,
        reviewed_by -> Text,
        article_references -> Text,
        comments_open -> Bool,
        draft -> Bool,
        image -> Text,
        image_alt -> Text,
        current_revision -> Integer,
        file_revision -> Nullable<Integer>,
        file_path -> Nullable<Text>,
        file_hash -> Nullable<Text>,
        file_conflict -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> Integer,
        article_id -> Integer,
        slug -> Text,
        title -> Text,
        body -> Text,
        summary -> Text,
        tags -> Text,
        author -> Text,
        publish_at -> Timestamp,
        updated -> Nullable<Timestamp>,
        reviewed -> Nullable<Timestamp>,
        reviewed_by -> Text,
        article_references -> Text,
        comments_open -> Bool,
        draft -> Bool,
        image -> Text,
        image_alt -> Text,
        source -> Text,
        saved_by -> Text,
        saved_at -> Timestamp,
        file_path -> Nullable<Text>,
        file_hash -> Nullable<Text>,
    }
}

diesel::table! {
    saved_replies (id) {
        id -> Integer,
        title -> Text,
        body -> Text,
        add_disclaimer -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    media (hash) {
        hash -> Text,
        name -> Text,
        alt -> Text,
        caption -> Text,
        ext -> Text,
        width -> Integer,
        height -> Integer,
        uploaded_bytes -> BigInt,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    answer_notes (id) {
        id -> Integer,
        comment_id -> Integer,
        body_markdown -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media_variants (hash, width, ext) {
        hash -> Text,
        width -> Integer,
        ext -> Text,
        height -> Integer,
        bytes -> Binary,
    }
}

diesel::joinable!(comments -> users (user_id));
diesel::joinable!(answer_notes -> comments (comment_id));
diesel::joinable!(media_variants -> media (hash));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    comments,
    settings,
    moderation_log,
    login_attempts,
    sessions,
    spent_form_tokens,
    heartbeat,
    redirects,
    subscribers,
    outbox,
    change_counters,
    articles,
    article_revisions,
    saved_replies,
    answer_notes,
    media,
    media_variants
);
