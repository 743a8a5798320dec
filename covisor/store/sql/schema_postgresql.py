"""PostgreSQL's first migration: the schema of version 4 whole (see migrations.py).

The same tables, columns and indexes as SQLite's migrations 1–4 make, in PostgreSQL's types
(`double precision` for times, `bytea` for encoded JSON and secrets, `bigint` for counts and
flags), but for the product search: a `tsvector` column of each product's folded words and
codes with a GIN index, where SQLite has its FTS5 table, and an identity `rowid`, which SQLite
gives every table.
"""

from __future__ import annotations

from covisor.store.sql.schema import INDEXED_EVENTS

POSTGRESQL_SCHEMA = f"""
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'agent',
    disabled BIGINT NOT NULL DEFAULT 0,
    capacity BIGINT NOT NULL DEFAULT 3
);
CREATE UNIQUE INDEX agents_by_email ON agents (email);
CREATE TABLE agent_tokens (
    digest TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    label TEXT NOT NULL
);
CREATE INDEX agent_tokens_by_agent ON agent_tokens (agent_id, label);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'waiting',
    agent_id TEXT,
    summary TEXT NOT NULL DEFAULT '{{}}',
    snapshot BYTEA,
    snapshot_seq BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX conversations_by_status ON conversations (status, created_at);
CREATE INDEX conversations_by_agent ON conversations (agent_id, created_at);
CREATE INDEX conversations_by_customer
    ON conversations ((summary::jsonb #>> '{{visitor,customer_id}}'), created_at);
CREATE INDEX conversations_by_created ON conversations (created_at);
CREATE TABLE agent_status (
    agent_id TEXT PRIMARY KEY,
    status TEXT,
    changed_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    assigned_at DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE TABLE consoles (
    process_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    count BIGINT NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (process_id, agent_id)
);
CREATE TABLE events (
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    body BYTEA NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX events_by_kind ON events (conversation_id, type, seq) WHERE {INDEXED_EVENTS};
CREATE TABLE pins (
    digest TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    redeemer TEXT NOT NULL,
    issuer_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    used_at DOUBLE PRECISION
);
CREATE INDEX pins_by_conversation ON pins (conversation_id);
CREATE INDEX pins_by_expiry ON pins (expires_at);
CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    expires DOUBLE PRECISION NOT NULL
);
CREATE INDEX counters_by_expiry ON counters (expires);
CREATE TABLE catalogue (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    media_id TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    price TEXT,
    currency TEXT,
    duration DOUBLE PRECISION,
    added_by TEXT
);
CREATE INDEX catalogue_by_age ON catalogue (created_at, id);
CREATE TABLE replies (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    shared BIGINT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    catalogue_id TEXT
);
CREATE UNIQUE INDEX replies_by_scope
    ON replies ((CASE WHEN shared <> 0 THEN '' ELSE owner_id END), shortcut);
CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX push_subscriptions_by_agent
    ON push_subscriptions (agent_id, created_at, endpoint);
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_by TEXT
);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    hook_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    delivered_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION,
    claimer TEXT,
    leased_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (hook_id, created_at, id);
CREATE INDEX webhook_deliveries_by_end ON webhook_deliveries (finished_at);
CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    first_seen DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    visit_started DOUBLE PRECISION NOT NULL,
    visits BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    device TEXT NOT NULL,
    language TEXT,
    url TEXT,
    title TEXT,
    referrer TEXT,
    page_at DOUBLE PRECISION NOT NULL,
    conversation_id TEXT,
    assisted_at DOUBLE PRECISION,
    page_product_id TEXT,
    product_id TEXT,
    cart_value TEXT,
    cart_currency TEXT,
    cart_items BIGINT
);
CREATE INDEX visitors_by_last_seen ON visitors (last_seen);
CREATE TABLE page_views (
    visitor_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    url TEXT NOT NULL,
    title TEXT
);
CREATE INDEX page_views_by_visitor ON page_views (visitor_id, at);
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    visitor_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    agent_id TEXT,
    agent_name TEXT,
    rule_id TEXT,
    outcome TEXT NOT NULL,
    decided_at DOUBLE PRECISION,
    conversation_id TEXT
);
CREATE INDEX invitations_by_visitor ON invitations (visitor_id);
CREATE INDEX invitations_by_time ON invitations (created_at);
CREATE TABLE invitation_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    conditions TEXT NOT NULL,
    messages TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE conversions (
    order_id TEXT PRIMARY KEY,
    visitor_id TEXT NOT NULL,
    value TEXT NOT NULL,
    currency TEXT NOT NULL,
    device TEXT NOT NULL,
    assisted BIGINT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    conversation_id TEXT
);
CREATE INDEX conversions_by_time ON conversions (at);
CREATE INDEX conversions_by_visitor ON conversions (visitor_id, at);
CREATE TABLE conversion_items (
    order_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    quantity BIGINT NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
);
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    link TEXT NOT NULL,
    price TEXT NOT NULL,
    currency TEXT NOT NULL,
    sale_price TEXT,
    availability TEXT NOT NULL,
    brand TEXT NOT NULL,
    gtin TEXT NOT NULL,
    mpn TEXT NOT NULL,
    color TEXT NOT NULL,
    size TEXT NOT NULL,
    material TEXT NOT NULL,
    product_type TEXT NOT NULL,
    condition TEXT NOT NULL,
    images TEXT NOT NULL,
    extra TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    removed_at DOUBLE PRECISION,
    seen_import TEXT,
    link_path TEXT,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    search TSVECTOR
);
CREATE INDEX products_by_group ON products (group_id, id);
CREATE INDEX products_by_title ON products (title, id);
CREATE INDEX products_by_import ON products (seen_import);
CREATE INDEX products_by_link_path ON products (link_path);
CREATE INDEX products_search ON products USING GIN (search) WHERE removed_at IS NULL;
CREATE TABLE product_codes (
    code TEXT NOT NULL,
    product_rowid BIGINT NOT NULL,
    PRIMARY KEY (code, product_rowid)
);
CREATE INDEX product_codes_by_product ON product_codes (product_rowid);
CREATE TABLE product_images (
    url TEXT PRIMARY KEY,
    media_id TEXT,
    width BIGINT,
    height BIGINT,
    error TEXT,
    attempted_at DOUBLE PRECISION
);
CREATE INDEX product_images_by_media ON product_images (media_id);
CREATE TABLE catalogue_imports (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    url TEXT,
    file TEXT,
    finished_at DOUBLE PRECISION,
    added BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    errors TEXT NOT NULL,
    reason TEXT,
    lease_until DOUBLE PRECISION NOT NULL,
    processed BIGINT NOT NULL
);
CREATE INDEX catalogue_imports_by_age ON catalogue_imports (started_at);
CREATE TABLE catalogue_feed (
    one BIGINT PRIMARY KEY CHECK (one = 1),
    url TEXT NOT NULL,
    every_minutes BIGINT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    next_at DOUBLE PRECISION NOT NULL
);
"""

POSTGRESQL_OFFLINE_MAIL = """
CREATE TABLE offline_mail (
    conversation_id TEXT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    due_at DOUBLE PRECISION NOT NULL,
    claimer TEXT,
    leased_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX offline_mail_due ON offline_mail (due_at);
"""
"""Migration 5 (migrations.py), as SQLite's OFFLINE_MAIL_SCHEMA."""
