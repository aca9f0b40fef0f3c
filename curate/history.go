// Article revisions: every change the answer engine makes to an article
// (an editor's edit, an import, a promotion, a rollback, a delete) is kept
// as an immutable revision with who, when, why and what it came from, so
// that editors can read an article's history, diff two versions and roll
// back.

package curate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// RevisionsCollection holds one payload-only point per revision.
const RevisionsCollection = "article_revisions"

// Revision actions recorded when the change's answer.ChangeInfo names none
// (create, edit, delete), and the action of Rollback.
const (
	RevisionCreate   = "create"
	RevisionEdit     = "edit"
	RevisionDelete   = "delete"
	RevisionRollback = "rollback"
)

// Bounds on what a revision records from answer.ChangeInfo, in bytes;
// longer values are cut at a character boundary (the article is already
// written when its revision is recorded, so refusing would lose it).
const (
	maxRevisionAction = 64
	maxRevisionAuthor = 256
	maxRevisionSource = 256
	maxRevisionReason = 4096
)

// revisionNamespace roots the deterministic ids of revision points.
var revisionNamespace = uuid.MustParse("8f0d5a57-2c1e-4b8e-a3f4-0e9d7c6b5a41")

// Revision is one immutable version of an article, or its deletion.
type Revision struct {
	KB        string `json:"kb"`
	ArticleID string `json:"article_id"`
	// Version numbers the article's revisions from 1, increasing. It is the
	// article's own Version for a write, one more than the deleted
	// article's for a delete (see History for when the two part).
	Version int `json:"version"`
	// Action is the change's kind: create, edit, delete, import, promote,
	// rollback (answer.ChangeInfo.Action, or create/edit/delete by default).
	Action string `json:"action"`
	Author string `json:"author,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Source names what the change came from: a promoted candidate's id,
	// "revision:<version>" for a rollback.
	Source string    `json:"source,omitempty"`
	At     time.Time `json:"at"`
	// Article is the article as written; nil for a delete.
	Article *answer.Article `json:"article,omitempty"`
}

// History keeps article revisions in an index.Store, one payload-only point
// each. Wire it to an engine with answer.Options{OnChange: h.RecordChanges}; the
// ChangeInfo in the context of each engine call (answer.WithChangeInfo)
// says who made the change and why.
//
// # Versions
//
// A revision's version is the article's Version as the KB wrote it, and a
// delete takes the deleted version plus one, so versions are unique and
// increase along an article's history. When the KB's numbering falls
// behind the history's (an article deleted and then re-created by a plain
// import starts again at version 1), the revision takes the next version
// of the history instead, and from then on Revision.Version and
// Revision.Article.Version differ for that article until a Rollback, which
// writes the article at the history's next version.
//
// # Caveats
//
// Recording is serialized within one History; two replicas recording
// changes to the same article at the same instant may give two revisions
// the same version. Revisions are never overwritten: a retried
// RecordChanges with the same change writes nothing new.
type History struct {
	store index.Store
	now   func() time.Time
	mu    sync.Mutex // serializes RecordChanges
}

// NewHistory returns a History over store, creating its collection and
// payload indexes when they are missing.
func NewHistory(ctx context.Context, store index.Store) (*History, error) {
	if err := index.Ensure(ctx, store, index.CollectionConfig{Name: RevisionsCollection, Sparse: true}, map[string]index.FieldType{
		"kb": index.FieldKeyword, "article_id": index.FieldKeyword, "version": index.FieldInteger,
		"action": index.FieldKeyword, "author": index.FieldKeyword, "at": index.FieldDatetime,
	}); err != nil {
		return nil, err
	}
	return &History{store: store, now: time.Now}, nil
}

// RecordChanges records one revision per change; it is the
// answer.Options.OnChange hook. Author, action, reason and source come from
// answer.ChangeInfoFrom(ctx); without an action a change is "create"
// (Before nil), "delete" (After nil) or "edit". Each change is tried even
// when another fails; the errors are joined.
func (h *History) RecordChanges(ctx context.Context, kb string, changes []answer.ArticleChange) error {
	if err := answer.ValidateID(kb); err != nil {
		return fmt.Errorf("%w: %w", answer.ErrInvalidKB, err)
	}
	info := answer.ChangeInfoFrom(ctx)
	info.Action = clipText(info.Action, maxRevisionAction)
	info.Author = clipText(info.Author, maxRevisionAuthor)
	info.Source = clipText(info.Source, maxRevisionSource)
	info.Reason = clipText(info.Reason, maxRevisionReason)
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, ch := range changes {
		if err := h.record(ctx, kb, ch, info); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// record writes the revision of one change unless it is already written.
func (h *History) record(ctx context.Context, kb string, ch answer.ArticleChange, info answer.ChangeInfo) error {
	rev := Revision{KB: kb, Action: info.Action, Author: info.Author, Reason: info.Reason, Source: info.Source}
	switch {
	case ch.After != nil:
		a := *ch.After
		a.KB = kb
		rev.ArticleID, rev.Version, rev.Article = a.ID, a.Version, &a
	case ch.Before != nil:
		rev.ArticleID, rev.Version = ch.Before.ID, ch.Before.Version+1
	default:
		return nil // nothing changed
	}
	if rev.Action == "" {
		switch {
		case ch.Before == nil:
			rev.Action = RevisionCreate
		case ch.After == nil:
			rev.Action = RevisionDelete
		default:
			rev.Action = RevisionEdit
		}
	}
	rev.Version = max(rev.Version, 1)
	fp, err := changeFingerprint(ch)
	if err != nil {
		return fmt.Errorf("recording revision of %s/%s: %w", kb, rev.ArticleID, err)
	}
	// A retry of a recorded change finds its revision under the
	// deterministic id and writes nothing.
	id := revisionPointID(kb, rev.ArticleID, strconv.Itoa(rev.Version), rev.Action)
	recs, err := h.store.Get(ctx, RevisionsCollection, []string{id}, index.With{Payload: true})
	if err != nil {
		return fmt.Errorf("reading revision of %s/%s: %w", kb, rev.ArticleID, err)
	}
	if len(recs) > 0 && recs[0].Payload["change"] == fp {
		return nil
	}
	latest, err := h.latestVersion(ctx, kb, rev.ArticleID)
	if err != nil {
		return err
	}
	if len(recs) > 0 || rev.Version <= latest {
		// The KB's numbering fell behind the history's: the revision takes
		// the next version, under an id fixed by the change itself.
		id = revisionPointID(kb, rev.ArticleID, strconv.Itoa(rev.Version), rev.Action, fp)
		recs, err := h.store.Get(ctx, RevisionsCollection, []string{id}, index.With{})
		if err != nil {
			return fmt.Errorf("reading revision of %s/%s: %w", kb, rev.ArticleID, err)
		}
		if len(recs) > 0 {
			return nil
		}
		rev.Version = latest + 1
	}
	rev.At = h.now().UTC().Truncate(time.Millisecond)
	js, err := json.Marshal(rev)
	if err != nil {
		return fmt.Errorf("encoding revision of %s/%s: %w", kb, rev.ArticleID, err)
	}
	p := index.Payload{
		"kb": kb, "article_id": rev.ArticleID, "version": int64(rev.Version), "action": rev.Action,
		"at": rev.At.Format(time.RFC3339Nano), "change": fp, "doc": string(js),
	}
	if rev.Author != "" {
		p["author"] = rev.Author
	}
	if err := h.store.Upsert(ctx, RevisionsCollection, []index.Point{{ID: id, Payload: p}}); err != nil {
		return fmt.Errorf("writing revision of %s/%s: %w", kb, rev.ArticleID, err)
	}
	return nil
}

// revisionPointID is the deterministic id of a revision point.
func revisionPointID(kb, articleID string, parts ...string) string {
	return uuid.NewSHA1(revisionNamespace, []byte("revision\x00"+kb+"\x00"+articleID+"\x00"+strings.Join(parts, "\x00"))).String()
}

// changeFingerprint identifies a change by its before and after articles,
// so that a retried change is known as the same.
func changeFingerprint(ch answer.ArticleChange) (string, error) {
	js, err := json.Marshal([2]*answer.Article{ch.Before, ch.After})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:16]), nil
}

// clipText makes s valid UTF-8 of at most n bytes, cut at a character boundary.
func clipText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// revisionFilter selects the revisions of one article.
func revisionFilter(kb, articleID string, extra ...index.Condition) *index.Filter {
	return &index.Filter{Must: append([]index.Condition{
		index.MatchKeyword("kb", kb), index.MatchKeyword("article_id", articleID),
	}, extra...)}
}

// checkRevisionArgs validates the kb and article id of a revision lookup.
func checkRevisionArgs(kb, articleID string) error {
	if err := answer.ValidateID(kb); err != nil {
		return fmt.Errorf("%w: %w", answer.ErrInvalidKB, err)
	}
	if err := answer.ValidateID(articleID); err != nil {
		return fmt.Errorf("%w: article id %w", ErrInvalidRevision, err)
	}
	return nil
}

// latestVersion is the highest revision version of an article (0: none).
func (h *History) latestVersion(ctx context.Context, kb, articleID string) (int, error) {
	page, err := h.store.Scroll(ctx, RevisionsCollection, index.ScrollRequest{
		Filter: revisionFilter(kb, articleID), Limit: 1,
		OrderBy: &index.OrderBy{Key: "version", Direction: index.Desc},
		With:    index.With{Payload: true},
	})
	if err != nil {
		return 0, fmt.Errorf("reading revisions of %s/%s: %w", kb, articleID, err)
	}
	if len(page.Points) == 0 {
		return 0, nil
	}
	v, _ := page.Points[0].Payload["version"].(int64)
	return int(v), nil
}

// Revisions returns every revision of an article, newest (highest version)
// first; an article without any is ErrNoRevisions.
func (h *History) Revisions(ctx context.Context, kb, articleID string) ([]Revision, error) {
	if err := checkRevisionArgs(kb, articleID); err != nil {
		return nil, err
	}
	var out []Revision
	req := index.ScrollRequest{
		Filter: revisionFilter(kb, articleID), Limit: 500,
		OrderBy: &index.OrderBy{Key: "version", Direction: index.Desc},
		With:    index.With{Payload: true},
	}
	err := index.ScrollAll(ctx, h.store, RevisionsCollection, req, func(r index.Record) error {
		rev, err := decodeRevision(r)
		out = append(out, rev)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading revisions of %s/%s: %w", kb, articleID, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoRevisions, kb, articleID)
	}
	return out, nil
}

// Revision returns one revision of an article; an unknown one is
// ErrRevisionNotFound.
func (h *History) Revision(ctx context.Context, kb, articleID string, version int) (Revision, error) {
	if err := checkRevisionArgs(kb, articleID); err != nil {
		return Revision{}, err
	}
	if version < 1 {
		return Revision{}, fmt.Errorf("%w: version %d must be at least 1", ErrInvalidRevision, version)
	}
	page, err := h.store.Scroll(ctx, RevisionsCollection, index.ScrollRequest{
		Filter: revisionFilter(kb, articleID, index.MatchInteger("version", int64(version))),
		Limit:  1, With: index.With{Payload: true},
	})
	if err != nil {
		return Revision{}, fmt.Errorf("reading revision %d of %s/%s: %w", version, kb, articleID, err)
	}
	if len(page.Points) == 0 {
		return Revision{}, fmt.Errorf("%w: %s/%s version %d", ErrRevisionNotFound, kb, articleID, version)
	}
	return decodeRevision(page.Points[0])
}

// decodeRevision rebuilds a revision from its point.
func decodeRevision(r index.Record) (Revision, error) {
	return index.DecodeDoc[Revision](r, index.DocKey)
}

// Rollback writes the content of an article's revision version back
// through eng, under a ChangeInfo with action "rollback", the author and
// reason given, and source "revision:<version>", so that the rollback is
// itself a new revision at the next version. The engine should observe
// changes with h.RecordChanges; when it has no observer, Rollback records
// the revision itself.
//
// Rolling back a deleted article re-creates it. Rolling back to content
// identical to the current article's (bookkeeping aside) writes nothing
// and returns the current article. A revision that deleted the article
// cannot be rolled back to (delete the article instead): ErrInvalidRevision.
// Like imports into one KB, rollbacks of one article must not run concurrently.
func (h *History) Rollback(ctx context.Context, eng *answer.Engine, kb, articleID string, version int, author, reason string) (answer.Article, error) {
	switch {
	case strings.TrimSpace(author) == "":
		return answer.Article{}, fmt.Errorf("%w: a rollback needs an author", ErrInvalidRevision)
	case !utf8.ValidString(author) || len(author) > maxRevisionAuthor:
		return answer.Article{}, fmt.Errorf("%w: author must be valid UTF-8 of at most %d bytes", ErrInvalidRevision, maxRevisionAuthor)
	case !utf8.ValidString(reason) || len(reason) > maxRevisionReason:
		return answer.Article{}, fmt.Errorf("%w: reason must be valid UTF-8 of at most %d bytes", ErrInvalidRevision, maxRevisionReason)
	}
	rev, err := h.Revision(ctx, kb, articleID, version)
	if err != nil {
		return answer.Article{}, err
	}
	if rev.Article == nil {
		return answer.Article{}, fmt.Errorf("%w: revision %d of %s/%s deleted the article", ErrInvalidRevision, version, kb, articleID)
	}
	var before *answer.Article
	cur, err := eng.Library.Article(ctx, kb, articleID)
	switch {
	case err == nil:
		if sameArticleContent(cur, *rev.Article) {
			return cur, nil
		}
		before = &cur
	case !errors.Is(err, answer.ErrArticleNotFound):
		return answer.Article{}, err
	}
	latest, err := h.latestVersion(ctx, kb, articleID)
	if err != nil {
		return answer.Article{}, err
	}
	art := *rev.Article
	art.KB = kb
	art.Version = max(latest, cur.Version) + 1
	art.CreatedAt, art.UpdatedAt = time.Time{}, time.Time{}
	rctx := answer.WithChangeInfo(ctx, answer.ChangeInfo{
		Author: author, Action: RevisionRollback, Reason: reason, Source: "revision:" + strconv.Itoa(version),
	})
	if err := eng.ImportArticles(rctx, kb, []answer.Article{art}, nil); err != nil {
		return answer.Article{}, fmt.Errorf("rolling back %s/%s to version %d: %w", kb, articleID, version, err)
	}
	after, err := eng.Library.Article(ctx, kb, articleID)
	if err != nil {
		return answer.Article{}, err
	}
	if !eng.ObservesChanges() {
		if err := h.RecordChanges(rctx, kb, []answer.ArticleChange{{Before: before, After: &after}}); err != nil {
			return after, err
		}
	}
	return after, nil
}
