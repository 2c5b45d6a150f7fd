package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// The full-text index lives in its own file, dir/text.db, written by its own goroutine (the
// indexer), not by the ingest writer. With FTS5 in cairn.db, tokenising GenAI content and
// merging index segments took half of the single writer's time, and every span waited for it.
// Now the writer commits each document's id and trace (fts_docs) with its span or log record,
// and hands the words to the indexer after the commit. The indexer writes them in large
// transactions, beside the writer, so FTS5 also builds fewer and larger segments to merge.
//
// Consistency: a search sees a document once the indexer's transaction holding it commits,
// normally within textBatchDelay plus one indexer transaction of the writer's commit (1–2 s
// at most under full load, measured with cairn_text_index_lag_documents). Nothing is lost
// in between: after a crash, Open indexes again every document of cairn.db above the progress
// text.db recorded (the catch-up), from the stored spans and log records. text.db is derived
// data: deleting it makes the next Open rebuild it.
//
// Backpressure: the words waiting for the indexer are held in memory, at most textQueueBytes;
// past that the writer waits before its next transaction, so ingest slows to the indexer's pace
// (and a full ingest queue answers 429) instead of memory growing.

//go:embed text.sql
var textSQL string

var textQueries = mustParseQueries(textSQL)

// textCacheMB is the page cache for text.db of the indexer and of each reader, in MiB: searches
// read a few pages of it per word, the indexer writes at the end of its B-trees.
const textCacheMB = 4

// Indexer tuning (variables for tests).
var (
	// textQueueBytes bounds the words waiting for the indexer.
	textQueueBytes int64 = 16 << 20
	// textBatchDelay is how long the indexer lingers for more documents when fewer than
	// textBatchDocs are queued: larger transactions make larger segments, which FTS5 merges
	// less often (with 100 ms and 2,000 documents the indexer used a third more CPU at 1M
	// spans). It does not linger while Write or WaitIndexed waits for it.
	textBatchDelay = 500 * time.Millisecond
	textBatchDocs  = 10000
	// textCatchUpDocs is the number of documents one catch-up transaction indexes again.
	textCatchUpDocs = 1000
	// textRetryDelay is the wait before retrying a failed index transaction.
	textRetryDelay = time.Second
)

// textJob is one committed write transaction's change to the index.
type textJob struct {
	docs    []textDoc
	deletes []int64
	bytes   int64
}

// docWordsFunc returns the distinct words of a document's content, for the catch-up: of the
// span (src > 0) or log record (src < 0) it was made of, or, for a document from before
// fts_docs.src existed (src 0), of the whole trace with sequence number seq. "" when the
// content is gone.
type docWordsFunc func(ctx context.Context, seq, src int64) (string, error)

// docRange lists the documents (id, seq, src) of cairn.db with from < id <= to, at most limit,
// in id order, for the catch-up.
type docRangeFunc func(ctx context.Context, from, to int64, limit int) ([][3]int64, error)

// textIndex owns text.db and the indexer goroutine.
type textIndex struct {
	db     *sql.DB // one connection: the only writer of text.db
	logger *slog.Logger

	mu      sync.Mutex
	jobs    []textJob
	bytes   int64 // words in jobs not yet applied
	pending int   // jobs pushed and not yet applied
	waiters int   // callers of waitIndexed: while there are any, the indexer does not linger
	// Progress. Documents up to floor were committed before Open: the catch-up indexes those
	// above cursor again. Live documents (pushed by the writer) start at floor+1; pushed is the
	// highest pushed, live the highest applied.
	floor, cursor, live, pushed int64
	err                         error         // the last failure, until a transaction succeeds
	changed                     chan struct{} // closed and replaced when progress or bytes change
	kick                        chan struct{} // wakes the indexer
	stop                        context.CancelFunc
	done                        chan struct{}
}

// openTextIndex opens (creating if needed) the text.db at path for the cairn.db whose
// text_owner is owner, with the store's driver. It returns the progress recorded in the file:
// every document up to it is indexed. A text.db of another cairn.db is deleted and rebuilt.
func openTextIndex(ctx context.Context, drv *sqlite.Driver, path string, owner int64, logger *slog.Logger) (*textIndex, int64, error) {
	x, indexed, found, err := openTextFile(ctx, drv, path, owner)
	if err != nil {
		return nil, 0, err
	}
	if found == owner {
		x.logger = logger
		return x, indexed, nil
	}
	logger.Warn("the full-text index belongs to another cairn.db (restored from a backup?); rebuilding it", "path", path)
	if err := x.db.Close(); err != nil {
		return nil, 0, fmt.Errorf("close %s: %w", path, err)
	}
	if err := removeDB(path); err != nil {
		return nil, 0, err
	}
	if x, indexed, _, err = openTextFile(ctx, drv, path, owner); err != nil {
		return nil, 0, err
	}
	x.logger = logger
	return x, indexed, nil
}

// openTextFile opens text.db at path, claiming it for owner if it is new; it returns the
// progress and the owner recorded in the file.
func openTextFile(ctx context.Context, drv *sqlite.Driver, path string, owner int64) (*textIndex, int64, int64, error) {
	db, err := openDB(drv, path, "", textCacheMB, false, 10000)
	if err != nil {
		return nil, 0, 0, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// The indexer's transactions are off the ingest path: let SQLite checkpoint in them.
	var indexed, found int64
	err = func() error {
		if _, err := db.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 1000"); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, textQueries["text_schema"]); err != nil {
			return err
		}
		if err := db.QueryRowContext(ctx, textQueries["text_indexed"]).Scan(&indexed, &found); err != nil {
			return err
		}
		if found == 0 {
			found = owner
			_, err := db.ExecContext(ctx, textQueries["text_set_owner"], owner)
			return err
		}
		return nil
	}()
	if err != nil {
		db.Close()
		return nil, 0, 0, fmt.Errorf("open full-text index %s (delete it to rebuild it from cairn.db): %w", path, err)
	}
	return &textIndex{db: db, changed: make(chan struct{}),
		kick: make(chan struct{}, 1), done: make(chan struct{})}, indexed, found, nil
}

// start runs the indexer until close. Documents indexed up to indexed, the store's documents up
// to lastDoc: the catch-up indexes those in between again.
func (x *textIndex) start(indexed, lastDoc int64, words docWordsFunc, docs docRangeFunc) {
	x.cursor, x.floor, x.live, x.pushed = indexed, lastDoc, lastDoc, lastDoc
	ctx, cancel := context.WithCancel(context.Background())
	x.stop = cancel
	go x.run(ctx, words, docs)
}

// indexedUpTo returns the highest document id up to which every document is indexed.
func (x *textIndex) indexedUpTo() int64 {
	if x.cursor < x.floor {
		return x.cursor
	}
	return x.live
}

// notify wakes waiters; the caller holds mu.
func (x *textIndex) notify() {
	close(x.changed)
	x.changed = make(chan struct{})
}

// push queues a committed transaction's documents and deletions. It never blocks: the writer
// calls waitRoom before its transactions instead.
func (x *textIndex) push(docs []textDoc, deletes []int64) {
	if len(docs) == 0 && len(deletes) == 0 {
		return
	}
	j := textJob{docs: docs, deletes: deletes}
	for _, d := range docs {
		j.bytes += int64(len(d.text))
	}
	x.mu.Lock()
	if len(docs) > 0 {
		x.pushed = docs[len(docs)-1].id // ids ascend
	}
	x.jobs = append(x.jobs, j)
	x.bytes += j.bytes
	x.pending++
	x.mu.Unlock()
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

// wait blocks until ok() holds (checked under mu), ctx ends or the indexer stopped.
func (x *textIndex) wait(ctx context.Context, ok func() bool) error {
	for {
		x.mu.Lock()
		done, ch := ok(), x.changed
		x.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-x.done:
			return errors.New("the full-text indexer has stopped")
		}
	}
}

// waitRoom blocks while the queue holds textQueueBytes or more.
func (x *textIndex) waitRoom(ctx context.Context) error {
	if err := x.wait(ctx, func() bool { return x.bytes < textQueueBytes }); err != nil {
		return fmt.Errorf("waiting for the full-text indexer (%d bytes queued): %w", x.queuedBytes(), err)
	}
	return nil
}

// waitIndexed blocks until every document up to doc is indexed and every change pushed so far
// is applied.
func (x *textIndex) waitIndexed(ctx context.Context, doc int64) error {
	x.mu.Lock()
	x.waiters++
	x.mu.Unlock()
	select { // wake the indexer if it is lingering for more documents
	case x.kick <- struct{}{}:
	default:
	}
	defer func() {
		x.mu.Lock()
		x.waiters--
		x.mu.Unlock()
	}()
	if err := x.wait(ctx, func() bool { return x.indexedUpTo() >= doc && x.pending == 0 }); err != nil {
		return fmt.Errorf("waiting for document %d to be indexed: %w", doc, err)
	}
	return nil
}

// queuedBytes returns the words waiting for the indexer.
func (x *textIndex) queuedBytes() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.bytes
}

// close indexes what is queued, stops the indexer and closes text.db. A catch-up left
// unfinished resumes at the next Open.
func (x *textIndex) close() error {
	if x.stop != nil {
		x.stop()
		<-x.done
	}
	return x.db.Close()
}

// run is the indexer: live documents first, then a chunk of catch-up, until stopped; on stop
// it indexes what is queued and returns.
func (x *textIndex) run(ctx context.Context, words docWordsFunc, docs docRangeFunc) {
	defer close(x.done)
	if x.cursor < x.floor {
		x.logger.Info("indexing stored content for full-text search", "documents", x.floor-x.cursor)
	}
	lastLog := time.Now()
	for {
		jobs := x.take(ctx)
		if len(jobs) > 0 {
			x.applyRetrying(ctx, jobs, nil)
			continue
		}
		if x.cursor < x.floor && ctx.Err() == nil {
			x.catchUp(ctx, words, docs)
			if x.cursor >= x.floor {
				x.logger.Info("full-text index complete")
			} else if time.Since(lastLog) > 5*time.Second {
				lastLog = time.Now()
				x.logger.Info("indexing stored content for full-text search", "left", x.floor-x.cursor)
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-x.kick:
		case <-ctx.Done():
		}
	}
}

// take returns the queued jobs; when few documents are queued it first lingers up to
// textBatchDelay for more (not once stopping, and not while someone waits for the index).
func (x *textIndex) take(ctx context.Context) []textJob {
	linger := func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		n := 0
		for _, j := range x.jobs {
			n += len(j.docs)
		}
		return n > 0 && n < textBatchDocs && x.waiters == 0 && x.bytes < textQueueBytes/2
	}
	if linger() && ctx.Err() == nil {
		t := time.NewTimer(textBatchDelay)
		defer t.Stop()
	wait:
		for linger() {
			select {
			case <-t.C:
				break wait
			case <-ctx.Done():
				break wait
			case <-x.kick: // more documents, or a waiter: look again
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	jobs := x.jobs
	x.jobs = nil
	return jobs
}

// applyRetrying applies jobs (and catch-up documents) until it succeeds; once stopping it gives
// up after a few attempts (the catch-up at the next Open indexes what is missing).
func (x *textIndex) applyRetrying(ctx context.Context, jobs []textJob, catchUp *catchUpChunk) bool {
	for attempt := 1; ; attempt++ {
		err := x.apply(jobs, catchUp)
		x.mu.Lock()
		x.err = err
		x.mu.Unlock()
		if err == nil {
			return true
		}
		x.logger.Error("full-text indexing failed; retrying", "attempt", attempt, "err", err)
		if ctx.Err() != nil && attempt >= 3 {
			x.logger.Error("full-text indexer stopping with documents not indexed; the next start indexes them")
			return false
		}
		t := time.NewTimer(textRetryDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// catchUpChunk is a range of documents indexed again, (from, to], with their words.
type catchUpChunk struct {
	to   int64
	docs []textDoc
}

// apply writes jobs and a catch-up chunk in one text.db transaction, then records progress.
func (x *textIndex) apply(jobs []textJob, catchUp *catchUpChunk) error {
	ctx := context.Background() // a transaction once begun is finished, even when stopping
	live, cursor := x.live, x.cursor
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin full-text transaction: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, textQueries["text_insert"])
	if err != nil {
		return fmt.Errorf("prepare text_insert: %w", err)
	}
	defer ins.Close()
	insert := func(docs []textDoc) error {
		for _, d := range docs {
			if _, err := ins.ExecContext(ctx, d.id, d.text); err != nil {
				return fmt.Errorf("index document %d (%d bytes): %w", d.id, len(d.text), err)
			}
		}
		return nil
	}
	var bytes int64
	for _, j := range jobs {
		if err := insert(j.docs); err != nil {
			return err
		}
		for _, id := range j.deletes {
			if _, err := tx.ExecContext(ctx, textQueries["text_delete"], id); err != nil {
				return fmt.Errorf("delete document %d from the full-text index: %w", id, err)
			}
		}
		for _, d := range j.docs {
			live = max(live, d.id)
		}
		bytes += j.bytes
	}
	if catchUp != nil {
		if err := insert(catchUp.docs); err != nil {
			return err
		}
		cursor = catchUp.to
	}
	progress := cursor
	if cursor >= x.floor {
		progress = live
	}
	if _, err := tx.ExecContext(ctx, textQueries["text_set_indexed"], progress); err != nil {
		return fmt.Errorf("record full-text progress: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %d bytes of full-text index: %w", bytes, err)
	}
	x.mu.Lock()
	x.live, x.cursor = live, cursor
	x.bytes -= bytes
	x.pending -= len(jobs)
	x.notify()
	x.mu.Unlock()
	return nil
}

// catchUp indexes again the next textCatchUpDocs documents committed before Open, each from
// the span or log record it was made of. (A document from before version 5, which does not
// know its source, gets its whole trace's words, once per trace and chunk.)
func (x *textIndex) catchUp(ctx context.Context, words docWordsFunc, docRange docRangeFunc) {
	rows, err := docRange(ctx, x.cursor, x.floor, textCatchUpDocs)
	if err != nil {
		x.logger.Error("full-text catch-up: list documents; retrying", "err", err)
		t := time.NewTimer(textRetryDelay) // as applyRetrying: not a tight loop on a failing read
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return
	}
	chunk := &catchUpChunk{to: x.floor}
	if len(rows) == textCatchUpDocs {
		chunk.to = rows[len(rows)-1][0]
	}
	seen := make(map[int64]bool) // traces indexed whole
	for _, r := range rows {
		if r[2] == 0 {
			if seen[r[1]] {
				continue
			}
			seen[r[1]] = true
		}
		text, err := words(ctx, r[1], r[2])
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			x.logger.Warn("full-text catch-up: content unreadable, not indexed", "document", r[0], "err", err)
			continue
		}
		if text != "" {
			chunk.docs = append(chunk.docs, textDoc{id: r[0], seq: r[1], text: text})
		}
	}
	x.applyRetrying(ctx, nil, chunk)
}

// TextIndexStats describes the full-text indexer's backlog, for self-metrics.
type TextIndexStats struct {
	// QueuedBytes are the words committed to cairn.db and waiting for the indexer.
	QueuedBytes int64
	// LagDocuments is the number of documents committed and not yet searchable (including a
	// catch-up's).
	LagDocuments int64
	// Failing is set while the indexer's transactions fail (it retries every second).
	Failing bool
}

// TextIndex reports the full-text indexer's backlog.
func (s *Store) TextIndex() TextIndexStats {
	x := s.text
	x.mu.Lock()
	defer x.mu.Unlock()
	return TextIndexStats{QueuedBytes: x.bytes, LagDocuments: max(0, x.pushed-x.indexedUpTo()), Failing: x.err != nil}
}

// WaitIndexed returns once every document committed so far is in the full-text index (the
// write pipeline's WritePrepared does not wait for it).
func (s *Store) WaitIndexed(ctx context.Context) error {
	x := s.text
	x.mu.Lock()
	pushed := x.pushed // every committed document was pushed
	x.mu.Unlock()
	return x.waitIndexed(ctx, pushed)
}
