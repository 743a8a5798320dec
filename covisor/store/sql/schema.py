"""The SQLite store's tables and indexes: the DDL of migration 1 (see migrations.py).

Written `CREATE … IF NOT EXISTS`, with the drops of what older versions had, so that migration
1 also brings the database of an older, unversioned Covisor to it in place. Released DDL is not
edited: a change to the schema is a new migration in migrations.py.
"""

from __future__ import annotations

INDEXED_EVENTS = "type NOT IN ('stroke.points', 'viewer.transform', 'video.state')"
"""The events in `events_by_kind`: all but the streamed ones, which nothing looks up by type and
which would cost every commit a second B-tree insert each. A query uses that partial index only
when its WHERE holds this very term (SQLite matches it literally), so queries by type add it."""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL DEFAULT 'agent',
    disabled INTEGER NOT NULL DEFAULT 0,
    capacity INTEGER NOT NULL DEFAULT 3
);
CREATE TABLE IF NOT EXISTS agent_tokens (
    digest TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    label TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS agent_tokens_by_agent ON agent_tokens (agent_id, label);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'waiting',
    agent_id TEXT,
    summary TEXT NOT NULL DEFAULT '{{}}',
    snapshot BLOB,
    snapshot_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS conversations_by_status ON conversations (status, created_at);
CREATE INDEX IF NOT EXISTS conversations_by_agent ON conversations (agent_id, created_at);
CREATE INDEX IF NOT EXISTS conversations_by_customer
    ON conversations (json_extract(summary, '$.visitor.customer_id'), created_at);
CREATE TABLE IF NOT EXISTS agent_status (
    agent_id TEXT PRIMARY KEY,
    status TEXT,
    changed_at REAL NOT NULL DEFAULT 0,
    assigned_at REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS consoles (
    process_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (process_id, agent_id)
);
CREATE TABLE IF NOT EXISTS events (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
DROP INDEX IF EXISTS events_by_type;
CREATE INDEX IF NOT EXISTS events_by_kind ON events (conversation_id, type, seq)
    WHERE {INDEXED_EVENTS};
CREATE TABLE IF NOT EXISTS pins (
    digest TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    redeemer TEXT NOT NULL,
    issuer_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE INDEX IF NOT EXISTS pins_by_conversation ON pins (conversation_id);
CREATE INDEX IF NOT EXISTS pins_by_expiry ON pins (expires_at);
DROP TABLE IF EXISTS pin_attempts;
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    started REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS counters_by_expiry ON counters (expires);
CREATE TABLE IF NOT EXISTS catalogue (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind TEXT NOT NULL,
    media_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at REAL NOT NULL,
    price TEXT,
    currency TEXT,
    duration REAL,
    added_by TEXT
);
CREATE INDEX IF NOT EXISTS catalogue_by_age ON catalogue (created_at, id);
CREATE TABLE IF NOT EXISTS replies (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    shared INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    catalogue_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS replies_by_scope
    ON replies (CASE WHEN shared THEN '' ELSE owner_id END, shortcut);
CREATE TABLE IF NOT EXISTS push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS push_subscriptions_by_agent
    ON push_subscriptions (agent_id, created_at, endpoint);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at REAL NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id TEXT PRIMARY KEY,
    hook_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at REAL,
    finished_at REAL,
    claimer TEXT,
    leased_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_hook
    ON webhook_deliveries (hook_id, created_at, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_end ON webhook_deliveries (finished_at);
"""

VISITS_SCHEMA = """
CREATE TABLE IF NOT EXISTS visitors (
    id TEXT PRIMARY KEY,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    visit_started REAL NOT NULL,
    visits INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    device TEXT NOT NULL,
    language TEXT,
    url TEXT,
    title TEXT,
    referrer TEXT,
    page_at REAL NOT NULL,
    conversation_id TEXT,
    assisted_at REAL
);
CREATE INDEX IF NOT EXISTS visitors_by_last_seen ON visitors (last_seen);
CREATE TABLE IF NOT EXISTS page_views (
    visitor_id TEXT NOT NULL,
    at REAL NOT NULL,
    url TEXT NOT NULL,
    title TEXT
);
CREATE INDEX IF NOT EXISTS page_views_by_visitor ON page_views (visitor_id, at);
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    visitor_id TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at REAL NOT NULL,
    agent_id TEXT,
    agent_name TEXT,
    rule_id TEXT,
    outcome TEXT NOT NULL,
    decided_at REAL,
    conversation_id TEXT
);
CREATE INDEX IF NOT EXISTS invitations_by_visitor ON invitations (visitor_id);
CREATE INDEX IF NOT EXISTS invitations_by_time ON invitations (created_at);
CREATE TABLE IF NOT EXISTS invitation_rules (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    conditions TEXT NOT NULL,
    messages TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS conversions (
    order_id TEXT PRIMARY KEY,
    visitor_id TEXT NOT NULL,
    value TEXT NOT NULL,
    currency TEXT NOT NULL,
    device TEXT NOT NULL,
    assisted INTEGER NOT NULL,
    at REAL NOT NULL,
    conversation_id TEXT
);
CREATE INDEX IF NOT EXISTS conversions_by_time ON conversions (at);
"""

REPORTS_SCHEMA = """
CREATE INDEX IF NOT EXISTS conversations_by_created ON conversations (created_at);
CREATE INDEX IF NOT EXISTS conversions_by_visitor ON conversions (visitor_id, at);
"""

PRODUCTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
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
    updated_at REAL NOT NULL,
    removed_at REAL,
    seen_import TEXT
);
CREATE INDEX IF NOT EXISTS products_by_group ON products (group_id, id);
CREATE INDEX IF NOT EXISTS products_by_title ON products (title, id);
CREATE INDEX IF NOT EXISTS products_by_import ON products (seen_import);
CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5 (
    words, codes, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'
);
CREATE TABLE IF NOT EXISTS product_codes (
    code TEXT NOT NULL,
    product_rowid INTEGER NOT NULL,
    PRIMARY KEY (code, product_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_codes_by_product ON product_codes (product_rowid);
CREATE TABLE IF NOT EXISTS product_images (
    url TEXT PRIMARY KEY,
    media_id TEXT,
    width INTEGER,
    height INTEGER,
    error TEXT,
    attempted_at REAL
);
CREATE INDEX IF NOT EXISTS product_images_by_media ON product_images (media_id);
CREATE TABLE IF NOT EXISTS catalogue_imports (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at REAL NOT NULL,
    url TEXT,
    file TEXT,
    finished_at REAL,
    added INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    errors TEXT NOT NULL,
    reason TEXT,
    lease_until REAL NOT NULL,
    processed INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalogue_imports_by_age ON catalogue_imports (started_at);
CREATE TABLE IF NOT EXISTS catalogue_feed (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    url TEXT NOT NULL,
    every_minutes INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT,
    next_at REAL NOT NULL
);
"""
"""Migration 2's tables (migrations.py)."""

COMMERCE_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversion_items (
    order_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    variant_id TEXT,
    quantity INTEGER NOT NULL,
    price TEXT NOT NULL,
    PRIMARY KEY (order_id, position)
) WITHOUT ROWID;
"""
"""Migration 3's table (migrations.py): the items of each conversion, in the order given."""

SHOPPER_CONTEXT_SCHEMA = """
ALTER TABLE products ADD COLUMN link_path TEXT;
CREATE INDEX IF NOT EXISTS products_by_link_path ON products (link_path);
ALTER TABLE visitors ADD COLUMN page_product_id TEXT;
ALTER TABLE visitors ADD COLUMN product_id TEXT;
ALTER TABLE visitors ADD COLUMN cart_value TEXT;
ALTER TABLE visitors ADD COLUMN cart_currency TEXT;
ALTER TABLE visitors ADD COLUMN cart_items INTEGER;
"""
"""Migration 4's columns (migrations.py): what a visitor looks at and has in the cart."""

OFFLINE_MAIL_SCHEMA = """
CREATE TABLE IF NOT EXISTS offline_mail (
    conversation_id TEXT PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    due_at REAL NOT NULL,
    claimer TEXT,
    leased_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS offline_mail_due ON offline_mail (due_at);
"""
"""Migration 5's table (migrations.py): agents' answers waiting to be e-mailed, a burst a
conversation, claimed under a lease by any process."""

SETTINGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL
);
"""
"""Migration 6's table (migrations.py), the same on both engines: the shop's settings an admin
edits (covisor/store/settings.py), one row, with a version every write raises."""

AGENT_LANGUAGE_SCHEMA = """
ALTER TABLE agents ADD COLUMN language TEXT;
"""
"""Migration 7's change, the same on both engines: the language an agent reads (ISO 639-1, or
NULL: none said), into which shoppers' messages are translated (translation/translator.py)."""
