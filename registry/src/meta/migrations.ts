import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/**
 * Numbered migrations, each run in a transaction and recorded in PRAGMA user_version. Append only: a released
 * migration is never edited; fix forward with a new one.
 */
export const migrations: Migration[] = [
  {
    version: 1,
    name: 'core registry',
    up(db) {
      db.exec(`
        CREATE TABLE projects (
          name TEXT PRIMARY KEY,
          public INTEGER NOT NULL DEFAULT 0,
          kind TEXT NOT NULL DEFAULT 'local',
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE repositories (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          project TEXT NOT NULL REFERENCES projects(name),
          created_at INTEGER NOT NULL
        );
        CREATE INDEX repositories_project ON repositories(project);

        CREATE TABLE blobs (
          digest TEXT PRIMARY KEY,
          size INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- which repository may read which blob (pushed, mounted, or referenced by its manifests)
        CREATE TABLE repo_blobs (
          repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
          digest TEXT NOT NULL REFERENCES blobs(digest),
          created_at INTEGER NOT NULL,
          PRIMARY KEY (repo_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX repo_blobs_digest ON repo_blobs(digest);

        CREATE TABLE manifests (
          repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
          digest TEXT NOT NULL REFERENCES blobs(digest),
          media_type TEXT NOT NULL,
          size INTEGER NOT NULL,
          artifact_type TEXT,
          subject TEXT,
          annotations TEXT,
          created_at INTEGER NOT NULL,
          last_pulled_at INTEGER,
          PRIMARY KEY (repo_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX manifests_subject ON manifests(repo_id, subject) WHERE subject IS NOT NULL;
        CREATE INDEX manifests_digest ON manifests(digest);

        -- what a manifest points at: blobs (config, layers) and child manifests (index entries)
        CREATE TABLE manifest_refs (
          repo_id INTEGER NOT NULL,
          parent TEXT NOT NULL,
          child TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
          PRIMARY KEY (repo_id, parent, child),
          FOREIGN KEY (repo_id, parent) REFERENCES manifests(repo_id, digest) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX manifest_refs_child ON manifest_refs(child);

        CREATE TABLE tags (
          repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          digest TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (repo_id, name),
          FOREIGN KEY (repo_id, digest) REFERENCES manifests(repo_id, digest) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX tags_digest ON tags(repo_id, digest);

        CREATE TABLE users (
          id INTEGER PRIMARY KEY,
          username TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL,
          role TEXT NOT NULL CHECK (role IN ('admin', 'developer', 'guest')),
          disabled INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );

        CREATE TABLE audit (
          id INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          type TEXT NOT NULL,
          actor TEXT,
          repository TEXT,
          reference TEXT,
          detail TEXT
        );
        CREATE INDEX audit_at ON audit(at);

        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    name: 'pull statistics',
    up(db) {
      db.exec(`
        -- pulls per repository per hour (bucket = start of the hour, ms), filled by the batched pull recorder
        CREATE TABLE pull_stats (
          bucket INTEGER NOT NULL,
          repo_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
          count INTEGER NOT NULL,
          PRIMARY KEY (bucket, repo_id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    name: 'remote registries and proxy projects',
    up(db) {
      db.exec(`
        -- definitions validated by config/remotes.ts; spec is that object as JSON (never a password)
        CREATE TABLE remote_registries (
          name TEXT PRIMARY KEY,
          spec TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('file', 'api')),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE proxy_projects (
          name TEXT PRIMARY KEY REFERENCES projects(name),
          spec TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('file', 'api')),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- least-recently-pulled eviction walks a project's manifests by last use
        CREATE INDEX manifests_last_pulled ON manifests(repo_id, last_pulled_at);
      `);
    },
  },
  {
    version: 4,
    name: 'replication',
    up(db) {
      db.exec(`
        -- rules validated by config/replication.ts; spec is that object as JSON
        CREATE TABLE replication_rules (
          name TEXT PRIMARY KEY,
          spec TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('file', 'api')),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- one run of a rule; status running|succeeded|failed|interrupted
        CREATE TABLE replication_executions (
          id INTEGER PRIMARY KEY,
          rule TEXT NOT NULL,
          trigger TEXT NOT NULL,
          status TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          planned INTEGER NOT NULL DEFAULT 0,
          copied INTEGER NOT NULL DEFAULT 0,
          skipped INTEGER NOT NULL DEFAULT 0,
          failed INTEGER NOT NULL DEFAULT 0,
          deleted INTEGER NOT NULL DEFAULT 0,
          bytes INTEGER NOT NULL DEFAULT 0,
          error TEXT
        );
        CREATE INDEX replication_executions_rule ON replication_executions(rule, id);

        -- one artifact (tag) of a run
        CREATE TABLE replication_tasks (
          id INTEGER PRIMARY KEY,
          execution_id INTEGER NOT NULL REFERENCES replication_executions(id) ON DELETE CASCADE,
          source TEXT NOT NULL,
          destination TEXT NOT NULL,
          digest TEXT,
          action TEXT NOT NULL,
          status TEXT NOT NULL,
          bytes INTEGER NOT NULL DEFAULT 0,
          blobs INTEGER NOT NULL DEFAULT 0,
          duration_ms INTEGER NOT NULL DEFAULT 0,
          error TEXT
        );
        CREATE INDEX replication_tasks_execution ON replication_tasks(execution_id);

        -- chunked uploads to a remote in progress, so an interrupted blob resumes at its offset
        CREATE TABLE replication_uploads (
          rule TEXT NOT NULL,
          repository TEXT NOT NULL,
          digest TEXT NOT NULL,
          location TEXT NOT NULL,
          offset INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (rule, repository, digest)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 5,
    name: 'vulnerability database and scan reports',
    up(db) {
      db.exec(`
        -- one imported OSV archive per source (usually an ecosystem); generation = the rows now served.
        -- An import writes a new generation beside the old and switches this pointer when complete.
        CREATE TABLE vuln_sources (
          name TEXT PRIMARY KEY,
          generation INTEGER NOT NULL,
          imported_at INTEGER NOT NULL,
          built_at INTEGER,
          records INTEGER NOT NULL,
          file TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE vuln_generations (
          id INTEGER PRIMARY KEY,
          source TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );

        -- OSV records; aliases and severity as JSON
        CREATE TABLE vulns (
          gen INTEGER NOT NULL,
          id TEXT NOT NULL,
          modified TEXT,
          published TEXT,
          withdrawn TEXT,
          aliases TEXT NOT NULL,
          summary TEXT,
          severity TEXT NOT NULL,
          PRIMARY KEY (gen, id)
        ) WITHOUT ROWID;
        -- one affected[] entry; package as the matcher looks it up (PyPI names normalised), ranges as JSON
        CREATE TABLE vuln_affected (
          gen INTEGER NOT NULL,
          vuln_id TEXT NOT NULL,
          ecosystem TEXT NOT NULL,
          package TEXT NOT NULL,
          spec TEXT NOT NULL
        );
        CREATE INDEX vuln_affected_package ON vuln_affected(package, gen);
        CREATE INDEX vuln_affected_gen ON vuln_affected(gen);

        -- the last scan of an artifact (by manifest digest: the same bytes scan the same in every repository)
        CREATE TABLE scan_reports (
          digest TEXT PRIMARY KEY,
          status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
          scanned_at INTEGER NOT NULL,
          db_built_at INTEGER,
          inventory TEXT,
          error TEXT,
          critical INTEGER NOT NULL DEFAULT 0,
          high INTEGER NOT NULL DEFAULT 0,
          medium INTEGER NOT NULL DEFAULT 0,
          low INTEGER NOT NULL DEFAULT 0,
          unknown INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE scan_findings (
          digest TEXT NOT NULL REFERENCES scan_reports(digest) ON DELETE CASCADE,
          vuln_id TEXT NOT NULL,
          aliases TEXT NOT NULL,
          severity TEXT NOT NULL,
          score REAL,
          package TEXT NOT NULL,
          package_type TEXT NOT NULL,
          installed TEXT NOT NULL,
          fixed TEXT,
          layer TEXT,
          summary TEXT,
          PRIMARY KEY (digest, vuln_id, package, installed)
        ) WITHOUT ROWID;

        -- per-project scanning switches; a missing row means the defaults
        CREATE TABLE project_scan_settings (
          project TEXT PRIMARY KEY REFERENCES projects(name) ON DELETE CASCADE,
          scan_on_push INTEGER NOT NULL DEFAULT 0,
          gate_severity TEXT,
          gate_unscanned TEXT NOT NULL DEFAULT 'allow' CHECK (gate_unscanned IN ('allow', 'block')),
          allowlist TEXT NOT NULL DEFAULT '[]'
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 6,
    name: 'personal access tokens',
    up(db) {
      db.exec(`
        -- tokens for scripts and CI; token_hash = sha256 hex of the random secret (the secret is never stored)
        CREATE TABLE access_tokens (
          id INTEGER PRIMARY KEY,
          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          token_hash TEXT NOT NULL UNIQUE,
          created_at INTEGER NOT NULL,
          expires_at INTEGER,
          last_used_at INTEGER,
          UNIQUE (user_id, name)
        );
      `);
    },
  },
  {
    version: 7,
    name: 'policies: tag immutability, project quotas, tag retention',
    up(db) {
      db.exec(`
        -- tag immutability (policy/immutability.ts): globs over the repository path inside the project and the tag
        CREATE TABLE immutability_rules (
          id INTEGER PRIMARY KEY,
          project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
          repositories TEXT NOT NULL,
          tags TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX immutability_rules_project ON immutability_rules(project);

        -- storage quota and usage per project (policy/quotas.ts). limit_bytes NULL = unlimited. used_bytes is kept
        -- by the triggers below in the same transaction as every link, unlink, manifest insert and delete, so a
        -- push reads its project's usage with one primary-key lookup instead of a SUM.
        CREATE TABLE project_quotas (
          project TEXT PRIMARY KEY REFERENCES projects(name) ON DELETE CASCADE,
          limit_bytes INTEGER,
          used_bytes INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- the distinct content of a project: refs = how many repo_blobs rows and manifests of the project hold it
        CREATE TABLE project_content (
          project TEXT NOT NULL,
          digest TEXT NOT NULL,
          refs INTEGER NOT NULL,
          PRIMARY KEY (project, digest)
        ) WITHOUT ROWID;

        CREATE TRIGGER quota_link_added AFTER INSERT ON repo_blobs BEGIN
          INSERT INTO project_quotas (project, used_bytes)
            SELECT r.project, b.size FROM repositories r, blobs b
            WHERE r.id = NEW.repo_id AND b.digest = NEW.digest
              AND NOT EXISTS (SELECT 1 FROM project_content c WHERE c.project = r.project AND c.digest = NEW.digest)
            ON CONFLICT(project) DO UPDATE SET used_bytes = used_bytes + excluded.used_bytes;
          INSERT INTO project_content (project, digest, refs)
            SELECT project, NEW.digest, 1 FROM repositories WHERE id = NEW.repo_id
            ON CONFLICT(project, digest) DO UPDATE SET refs = refs + 1;
        END;
        CREATE TRIGGER quota_manifest_added AFTER INSERT ON manifests BEGIN
          INSERT INTO project_quotas (project, used_bytes)
            SELECT r.project, NEW.size FROM repositories r
            WHERE r.id = NEW.repo_id
              AND NOT EXISTS (SELECT 1 FROM project_content c WHERE c.project = r.project AND c.digest = NEW.digest)
            ON CONFLICT(project) DO UPDATE SET used_bytes = used_bytes + excluded.used_bytes;
          INSERT INTO project_content (project, digest, refs)
            SELECT project, NEW.digest, 1 FROM repositories WHERE id = NEW.repo_id
            ON CONFLICT(project, digest) DO UPDATE SET refs = refs + 1;
        END;
        CREATE TRIGGER quota_link_removed AFTER DELETE ON repo_blobs BEGIN
          UPDATE project_content SET refs = refs - 1
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id) AND digest = OLD.digest;
          UPDATE project_quotas SET used_bytes = used_bytes - coalesce((SELECT size FROM blobs WHERE digest = OLD.digest), 0)
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id)
              AND EXISTS (SELECT 1 FROM project_content c WHERE c.project = project_quotas.project AND c.digest = OLD.digest AND c.refs <= 0);
          DELETE FROM project_content
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id) AND digest = OLD.digest AND refs <= 0;
        END;
        CREATE TRIGGER quota_manifest_removed AFTER DELETE ON manifests BEGIN
          UPDATE project_content SET refs = refs - 1
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id) AND digest = OLD.digest;
          UPDATE project_quotas SET used_bytes = used_bytes - OLD.size
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id)
              AND EXISTS (SELECT 1 FROM project_content c WHERE c.project = project_quotas.project AND c.digest = OLD.digest AND c.refs <= 0);
          DELETE FROM project_content
            WHERE project = (SELECT project FROM repositories WHERE id = OLD.repo_id) AND digest = OLD.digest AND refs <= 0;
        END;
        -- A repository's rows would go by cascade after the repository row, when the triggers above can no longer
        -- find its project: remove them first.
        CREATE TRIGGER quota_repository_removed BEFORE DELETE ON repositories BEGIN
          DELETE FROM manifests WHERE repo_id = OLD.id;
          DELETE FROM repo_blobs WHERE repo_id = OLD.id;
        END;

        -- what is already stored
        INSERT INTO project_content (project, digest, refs)
          SELECT r.project, x.digest, count(*)
          FROM (SELECT repo_id, digest FROM repo_blobs UNION ALL SELECT repo_id, digest FROM manifests) x
          JOIN repositories r ON r.id = x.repo_id
          GROUP BY r.project, x.digest;
        INSERT INTO project_quotas (project, used_bytes)
          SELECT c.project, sum(b.size) FROM project_content c JOIN blobs b ON b.digest = c.digest GROUP BY c.project;

        -- tag retention (policy/retention-*.ts): rules per project, the project's schedule, and a short run history
        CREATE TABLE retention_rules (
          id INTEGER PRIMARY KEY,
          project TEXT NOT NULL REFERENCES projects(name) ON DELETE CASCADE,
          repositories TEXT NOT NULL,
          tags TEXT NOT NULL,
          keep_latest INTEGER,
          keep_days INTEGER,
          untagged INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX retention_rules_project ON retention_rules(project);
        CREATE TABLE retention_schedules (
          project TEXT PRIMARY KEY REFERENCES projects(name) ON DELETE CASCADE,
          schedule TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- status running|succeeded|failed|interrupted; items = what was (or, in a dry run, would be) removed, as JSON
        CREATE TABLE retention_runs (
          id INTEGER PRIMARY KEY,
          project TEXT NOT NULL,
          trigger TEXT NOT NULL,
          actor TEXT,
          dry_run INTEGER NOT NULL,
          status TEXT NOT NULL,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          tags_kept INTEGER NOT NULL DEFAULT 0,
          tags_removed INTEGER NOT NULL DEFAULT 0,
          manifests_removed INTEGER NOT NULL DEFAULT 0,
          errors TEXT NOT NULL DEFAULT '[]',
          items TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX retention_runs_project ON retention_runs(project, id);
      `);
    },
  },
  {
    version: 8,
    name: 'immutability rules may allow adding referrers',
    up(db) {
      db.exec(`
        -- 1: new referrers (signatures, SBOMs) of content a matching tag protects may be pushed (policy/immutability.ts)
        ALTER TABLE immutability_rules ADD COLUMN allow_referrers INTEGER NOT NULL DEFAULT 0;
      `);
    },
  },
  {
    version: 9,
    name: 'config-owned definitions can be detached',
    up(db) {
      db.exec(`
        -- set when the config file stopped declaring a definition it owned (source 'file'): the row and the
        -- proxy cache stay, read-only, until an admin deletes them (config/reconcile.ts); NULL = attached
        ALTER TABLE remote_registries ADD COLUMN detached_at INTEGER;
        ALTER TABLE proxy_projects ADD COLUMN detached_at INTEGER;
      `);
    },
  },
];
