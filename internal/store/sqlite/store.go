// Package sqlite is Cairn's embedded default store: one SQLite file (dir/cairn.db) in WAL mode,
// written by one connection in batched transactions and read by a pool of read-only
// connections in parallel, and the full-text index in a second file (dir/text.db) written by
// its own goroutine (textindex.go).
//
// Layout: spans, logs and metric points keep a few compact promoted columns for searching beside
// a zstd-compressed blob (see blob.go and compress) read only to show an item. Resources are stored once in a
// dictionary. Every trace id gets a sequence number in arrival order (table trace_ids, the only
// B-tree keyed by the random id); spans, summaries and full-text documents are keyed by it, so
// ingest appends instead of rewriting a random page per span.
//
// Durability: WAL with synchronous=NORMAL. Write returns after its transaction is committed to
// the WAL, which survives a crash or kill -9 of the process; only an operating-system crash or
// power loss can lose the last transactions (the WAL is fsynced at each checkpoint). Trace summaries, sessions, operations, GenAI per-minute rollups and row counters
// are maintained in the same transaction as the data they summarise, so reads never scan spans
// to answer a list or a dashboard.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"modernc.org/sqlite"

	"github.com/cairn-dev/cairn/internal/store"
)

// schemaVersion is stored in PRAGMA user_version. Bump it with a migration when schema.sql or
// the stored encoding changes.
//
// Version 3: blobs shorter than minCompress are stored uncompressed (an older Cairn would read
// them as corrupt zstd). Tables are unchanged: a version 2 file is upgraded in place by
// setting the version.
//
// Version 4: GenAI rollups are hour rows packing their minutes, and text search keeps bounds
// per block of documents (fts_blocks, fts_pending). upgradeTables converts a version 2 or 3
// file in place.
//
// Version 5: the full-text index (fts) moved to text.db. The upgrade drops it from cairn.db;
// the indexer then rebuilds text.db from the stored content.
const schemaVersion = 5

// pageSize is the page size of new databases.
var pageSize = 4096

//go:embed schema.sql
var schemaSQL string

// Options tunes the store. The zero value is a good default.
type Options struct {
	// ReadConns is the number of read-only connections (parallel readers); default 4.
	ReadConns int
	// CacheMB is the page cache of the writer connection in MiB; default 64. Each reader gets a
	// quarter of it.
	CacheMB int
	// Logger receives the full-text indexer's progress and failures; nil discards them.
	Logger *slog.Logger
}

// Store is the SQLite backend. It implements store.Store.
type Store struct {
	path string
	w    *sql.DB // one connection: the only writer
	r    *sql.DB // read-only pool

	enc *zstd.Encoder
	dec *zstd.Decoder

	// wmu serialises Write and Retain: they share the writer's in-memory state below.
	wmu       sync.Mutex
	knownRes  map[int64]bool       // resource ids already in the dictionary
	knownOps  map[opKey]bool       // operations already stored
	cumulated map[string]cumul     // last cumulative gen_ai metric point per series (rollups)
	lastSeq   int64                // highest trace_ids.seq assigned
	lastDoc   int64                // highest fts document id assigned
	lastSpan  int64                // highest spans.id assigned
	stmts     map[string]*sql.Stmt // write statements, prepared once on the writer connection

	resMu    sync.Mutex
	resCache map[int64][]byte // encoded resources by id, for readers

	// The checkpointer folds the WAL into the database file on its own connection, so the
	// writer rarely pays for it (wal_autocheckpoint is off on the writer); see checkpoint.
	ckpt     *sql.DB
	ckptKick chan struct{}
	ckptStop context.CancelFunc
	ckptDone chan struct{}
	ckptStat CheckpointStats
	// pageBytes is the database's page size.
	pageBytes int64

	// text is the full-text index and its goroutine.
	text *textIndex
}

// CheckpointStats counts the checkpointer's work, for self-metrics.
type CheckpointStats struct {
	// Resets counts the times the WAL passed its limit and was truncated.
	Resets atomic.Int64
	// Failed counts truncations given up because readers still used the WAL.
	Failed atomic.Int64
	// PausedNanos is the time writes waited for truncations.
	PausedNanos atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the store in dir/cairn.db.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	if opts.CacheMB <= 0 {
		opts.CacheMB = 64
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dir, "cairn.db")
	textPath := filepath.Join(dir, "text.db")
	s := &Store{
		path:      path,
		knownRes:  make(map[int64]bool),
		knownOps:  make(map[opKey]bool),
		cumulated: make(map[string]cumul),
		resCache:  make(map[int64][]byte),
		stmts:     make(map[string]*sql.Stmt),
	}
	var err error
	// A driver of our own: the SQL functions registered on it reach only this store's
	// connections.
	drv := &sqlite.Driver{}
	if err := drv.RegisterDeterministicScalarFunction("cairn_attr", 3, s.attrMatch); err != nil {
		return nil, fmt.Errorf("register SQL function: %w", err)
	}
	if s.w, err = openDB(drv, path, "", opts.CacheMB, false, 10000); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.migrate(ctx, textPath); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.w.QueryRowContext(ctx, q("max_seq")).Scan(&s.lastSeq); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("read trace sequence of %s: %w", path, err)
	}
	if err := s.w.QueryRowContext(ctx, q("max_span")).Scan(&s.lastSpan); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("read span sequence of %s: %w", path, err)
	}
	if err := s.w.QueryRowContext(ctx, q("max_doc")).Scan(&s.lastDoc); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("read text document sequence of %s: %w", path, err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA page_size").Scan(&s.pageBytes); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("read page size of %s: %w", path, err)
	}
	if err := s.prepareWrites(ctx); err != nil {
		s.Close()
		return nil, err
	}
	var owner int64
	if _, err := s.w.ExecContext(ctx, q("ensure_text_owner")); err != nil {
		s.Close()
		return nil, fmt.Errorf("text index owner id in %s: %w", path, err)
	}
	if err := s.w.QueryRowContext(ctx, q("text_owner")).Scan(&owner); err != nil {
		s.Close()
		return nil, fmt.Errorf("text index owner id in %s: %w", path, err)
	}
	text, indexed, err := openTextIndex(ctx, drv, textPath, owner, opts.Logger)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.text = text
	// Document ids are never reused, even those of documents deleted since they were indexed.
	s.lastDoc = max(s.lastDoc, indexed)
	if s.r, err = openDB(drv, path, textPath, max(opts.CacheMB/4, 8), true, 10000); err != nil {
		s.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(opts.ReadConns)
	s.r.SetMaxIdleConns(opts.ReadConns)
	s.r.SetConnMaxIdleTime(0)
	s.r.SetConnMaxLifetime(0)
	// The checkpointer waits only briefly for readers: it may hold up the writer meanwhile.
	if s.ckpt, err = openDB(drv, path, "", 1, false, ckptBusyMillis); err != nil {
		s.Close()
		return nil, err
	}
	s.ckpt.SetMaxOpenConns(1)
	s.ckpt.SetMaxIdleConns(1)
	s.ckpt.SetConnMaxLifetime(0)
	s.ckpt.SetConnMaxIdleTime(0)
	s.startCheckpointer()
	// One encoder per core: Prepare runs on many request goroutines at once.
	if s.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithEncoderCRC(false),
		zstd.WithLowerEncoderMem(true)); err != nil {
		s.Close()
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	if s.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(256<<20)); err != nil {
		s.Close()
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	s.text.start(indexed, s.lastDoc, s.docWords, s.docRange)
	return s, nil
}

// openDB opens a pool on path; attach, when set, is a second file every connection attaches
// as "text". WAL with synchronous=NORMAL: a committed transaction survives a process crash
// (kill -9); only an OS crash or power loss can lose the last transactions.
func openDB(drv *sqlite.Driver, path, attach string, cacheMB int, readOnly bool, busyMillis int) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMillis))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(OFF)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheMB*1024))
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Set("_txlock", "immediate")
	}
	return sql.OpenDB(connector{drv, "file:" + path + "?" + q.Encode(), attach}), nil
}

// connector opens connections of one store's driver.
type connector struct {
	drv    *sqlite.Driver
	dsn    string
	attach string
}

// Connect opens a connection and attaches c.attach. (A writer must not attach: BEGIN
// IMMEDIATE takes the write lock of every attached file.)
func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil || c.attach == "" {
		return conn, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("attach %s: the SQLite driver's connection cannot execute statements", c.attach)
	}
	_, err = ex.ExecContext(ctx, "ATTACH DATABASE ? AS text", []driver.NamedValue{{Ordinal: 1, Value: c.attach}})
	if err == nil {
		_, err = ex.ExecContext(ctx, fmt.Sprintf("PRAGMA text.cache_size = -%d", textCacheMB*1024), nil)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("attach %s: %w", c.attach, err)
	}
	return conn, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// sqliteFuncCtx is the context argument of SQL functions.
type sqliteFuncCtx = sqlite.FunctionContext

// migrate creates the schema in a new file, upgrades an older one and refuses a file from a
// newer Cairn. textPath is the full-text index, deleted when an upgrade changes what it holds.
func (s *Store) migrate(ctx context.Context, textPath string) error {
	var v int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version of %s (is it a SQLite database?): %w", s.path, err)
	}
	switch {
	case v == schemaVersion:
		return nil
	case v >= 2 && v < schemaVersion:
		if err := removeDB(textPath); err != nil {
			return err
		}
		return s.upgradeTables(ctx, v)
	case v > schemaVersion:
		return fmt.Errorf("%s has schema version %d but this Cairn knows only up to %d: upgrade Cairn, or use another data directory",
			s.path, v, schemaVersion)
	case v != 0:
		return fmt.Errorf("%s has schema version %d, which this Cairn cannot migrate: use a new data directory", s.path, v)
	}
	var n int
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("inspect %s: %w", s.path, err)
	}
	if n != 0 {
		return fmt.Errorf("%s is a SQLite database with %d objects but no Cairn schema version: use an empty data directory", s.path, n)
	}
	// auto_vacuum must be set before the first table is created, outside a transaction.
	// The connection already wrote the header (journal_mode=WAL), so VACUUM the empty file to
	// apply it.
	// Page size: every B-tree keyed by something random (trace ids, session ids) dirties about
	// one page per insert, and each dirty page is written whole to the WAL; smaller pages keep
	// that cost down, while appends (spans, summaries, text) do not care.
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return fmt.Errorf("set page_size on %s: %w", s.path, err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return fmt.Errorf("set auto_vacuum on %s: %w", s.path, err)
	}
	if _, err := s.w.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("apply auto_vacuum on %s: %w", s.path, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin schema creation: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schemaSQL); err != nil {
		return fmt.Errorf("create schema in %s: %w", s.path, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit schema of %s: %w", s.path, err)
	}
	return nil
}

// removeDB deletes a SQLite file with its WAL and shared-memory index.
func removeDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
	}
	return nil
}

// Close indexes the documents queued for the full-text index and releases the pools. A WAL
// checkpoint on close folds the log back into the file.
func (s *Store) Close() error {
	var errs []error
	if s.text != nil {
		errs = append(errs, s.text.close())
	}
	if s.ckptStop != nil {
		s.ckptStop()
		<-s.ckptDone
		errs = append(errs, s.ckpt.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	if s.w != nil {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, fmt.Errorf("checkpoint on close: %w", err))
		}
		errs = append(errs, s.w.Close())
	}
	if s.enc != nil {
		errs = append(errs, s.enc.Close())
	}
	if s.dec != nil {
		s.dec.Close()
	}
	return errors.Join(errs...)
}

// WAL bounds. The checkpointer copies the WAL into the database file with PASSIVE checkpoints,
// which never block anyone but, under sustained writes, never finish either: the writer appends
// while they copy, so the log is never reset and grows without bound (3.4 GB after 1M spans).
// Once the log holds walLimit bytes of frames, the checkpointer therefore takes the writer lock
// between two transactions, copies what the last PASSIVE checkpoint left (at most ckptEvery
// of writes) and resets the log (RESTART checkpoint: the writer then starts again at the
// beginning of the file, which journal_size_limit keeps near 64 MiB), waiting at most
// ckptBusyMillis for readers still using it. If they do (a long query), it backs off before
// pausing the writer again, and the log grows past its limit meanwhile. When writes stop, a
// TRUNCATE checkpoint empties the file.
var (
	walLimit       int64 = 64 << 20
	ckptEvery            = 200 * time.Millisecond
	ckptIdle             = time.Second     // no writes for this long: truncate the WAL
	ckptMaxBackoff       = 8 * time.Second // longest wait after a reset readers prevented
	ckptBusyMillis       = 100
)

// startCheckpointer runs checkpoints after writes (at most every ckptEvery) until Close.
func (s *Store) startCheckpointer() {
	ctx, cancel := context.WithCancel(context.Background())
	s.ckptKick, s.ckptStop, s.ckptDone = make(chan struct{}, 1), cancel, make(chan struct{})
	go func() {
		defer close(s.ckptDone)
		tick := time.NewTicker(ckptEvery)
		defer tick.Stop()
		dirty, truncated := false, true
		var lastWrite, nextReset time.Time
		backoff := time.Duration(0)
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.ckptKick:
				dirty, truncated = true, false
				lastWrite = time.Now()
			case <-tick.C:
				switch {
				case dirty:
					dirty = false
					switch s.checkpoint(ctx, time.Now().After(nextReset)) {
					case ckptReset:
						backoff = 0
					case ckptBusy:
						backoff = min(max(2*backoff, time.Second), ckptMaxBackoff)
						nextReset = time.Now().Add(backoff)
					}
				case !truncated && time.Since(lastWrite) >= ckptIdle:
					truncated = s.truncateWAL(ctx)
				}
			}
		}
	}()
}

// Outcomes of a checkpoint round.
const (
	ckptCopied = iota // PASSIVE only: the log is below its limit (or a reset may not be tried yet)
	ckptReset         // the log was reset
	ckptBusy          // readers prevented the reset
)

// checkpoint runs one round: a PASSIVE checkpoint, then, if the log is past walLimit and
// mayReset, a RESTART checkpoint with the writer paused.
func (s *Store) checkpoint(ctx context.Context, mayReset bool) int {
	var busy, frames, copied int64
	// A PASSIVE checkpoint does most of the copying while the writer goes on.
	if err := s.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return ckptCopied
	}
	if frames*(s.pageBytes+24) < walLimit || !mayReset {
		return ckptCopied
	}
	s.wmu.Lock()
	start := time.Now()
	err := s.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied)
	s.ckptStat.PausedNanos.Add(int64(time.Since(start)))
	s.wmu.Unlock()
	if err != nil || busy != 0 {
		s.ckptStat.Failed.Add(1)
		return ckptBusy
	}
	s.ckptStat.Resets.Add(1)
	return ckptReset
}

// truncateWAL empties the WAL file once writes have stopped; it reports success.
func (s *Store) truncateWAL(ctx context.Context) bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var busy, frames, copied int64
	err := s.ckpt.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
	return err == nil && busy == 0
}

// walBytes is the size of the WAL file.
func (s *Store) walBytes() int64 {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// WALBytes is the size of the write-ahead log on disk.
func (s *Store) WALBytes() int64 { return s.walBytes() }

// Checkpoints reports the checkpointer's counters.
func (s *Store) Checkpoints() *CheckpointStats { return &s.ckptStat }

// kickCheckpointer tells the checkpointer the WAL grew.
func (s *Store) kickCheckpointer() {
	select {
	case s.ckptKick <- struct{}{}:
	default:
	}
}

// Blob compression. A stored blob is either a zstd frame (its first byte is the frame magic,
// 0x28) or, when shorter than minCompress, the encoding itself, which starts with blobVersion:
// zstd barely shrinks small blobs, and its fixed cost per call was most of the time spent
// encoding small spans. (S2 was tried for the rest: 5 times faster, but GenAI content came out
// 37% larger and packed worse into pages, and ingest was no faster: the writer, not encoding,
// is the bottleneck.)
const minCompress = 256

// compress returns the stored form of src, appended to dst. The shared zstd encoder is safe
// for concurrent use.
func (s *Store) compress(dst, src []byte) []byte {
	if len(src) < minCompress {
		return append(dst, src...)
	}
	if dst == nil {
		dst = make([]byte, 0, len(src)/2+64)
	}
	return s.enc.EncodeAll(src, dst)
}

func (s *Store) decompress(src []byte) ([]byte, error) {
	if len(src) > 0 && src[0] == blobVersion {
		return src, nil
	}
	out, err := s.dec.DecodeAll(src, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress %d-byte blob: %w", len(src), err)
	}
	return out, nil
}
