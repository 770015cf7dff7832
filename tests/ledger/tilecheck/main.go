// Follows the ledger over HTTP as a tlog-tiles client does, with the reference code
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog): it opens the signed
// checkpoint at <log>/checkpoint, reads hash tiles from <log>/tile/<L>/<N>[.p/<W>] through
// tlog.TileHashReader (which authenticates every tile against the signed root), proves
// and checks each leaf's inclusion from the entry bundles' bytes, and the consistency of
// an older signed checkpoint with the latest.
//
//	tilecheck -log URL -key VERIFIER -old FILE [-tamper-tile] [-tamper-entry]
//
// The entry bundles are read with the bearer token in $TILECHECK_TOKEN (an administrator's).
// -tamper-tile flips a bit of the first level-0 tile it reads, -tamper-entry one of the
// first entry: either must make the check fail. Exit status: 0 verified, 1 a check
// failed, 2 bad usage or the log could not be read.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

var errUnreadable = errors.New("cannot read the log")

func main() {
	logURL := flag.String("log", "", "the log's URL prefix, e.g. http://host/ledger")
	key := flag.String("key", "", "the checkpoint's verifier key")
	oldPath := flag.String("old", "", "an older signed checkpoint of the log")
	tamperTile := flag.Bool("tamper-tile", false, "flip a bit of the first level-0 tile")
	tamperEntry := flag.Bool("tamper-entry", false, "flip a bit of the first entry")
	flag.Parse()
	if *logURL == "" || *key == "" || *oldPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	checker := &checker{
		base:        strings.TrimSuffix(*logURL, "/"),
		token:       os.Getenv("TILECHECK_TOKEN"),
		tamperTile:  *tamperTile,
		tamperEntry: *tamperEntry,
		tiles:       map[tlog.Tile][]byte{},
	}
	if err := checker.run(*key, *oldPath); err != nil {
		fmt.Fprintln(os.Stderr, "tilecheck:", err)
		if errors.Is(err, errUnreadable) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type checker struct {
	base        string
	token       string
	tamperTile  bool
	tamperEntry bool
	tiles       map[tlog.Tile][]byte
	fetched     int
}

func (c *checker) run(key, oldPath string) error {
	verifier, err := note.NewVerifier(key)
	if err != nil {
		return fmt.Errorf("%w: verifier key: %v", errUnreadable, err)
	}
	latest, err := c.get("checkpoint", false)
	if err != nil {
		return err
	}
	tree, err := openCheckpoint(latest, verifier)
	if err != nil {
		return fmt.Errorf("latest checkpoint: %v", err)
	}
	older, err := os.ReadFile(oldPath)
	if err != nil {
		return fmt.Errorf("%w: %v", errUnreadable, err)
	}
	old, err := openCheckpoint(older, verifier)
	if err != nil {
		return fmt.Errorf("older checkpoint: %v", err)
	}
	if old.N == 0 || old.N >= tree.N {
		return fmt.Errorf("%w: want an older checkpoint of a smaller, non-empty tree (%d, %d)",
			errUnreadable, old.N, tree.N)
	}
	hashes := tlog.TileHashReader(tree, c)

	entries, err := c.entries(tree.N)
	if err != nil {
		return err
	}
	for index, entry := range entries {
		n := int64(index)
		proof, err := tlog.ProveRecord(tree.N, n, hashes)
		if err != nil {
			return fmt.Errorf("proving leaf %d: %v", n, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, n, tlog.RecordHash(entry)); err != nil {
			return fmt.Errorf("leaf %d: %v", n, err)
		}
	}
	proof, err := tlog.ProveTree(tree.N, old.N, hashes)
	if err != nil {
		return fmt.Errorf("proving %d consistent with %d: %v", tree.N, old.N, err)
	}
	if err := tlog.CheckTree(proof, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		return fmt.Errorf("tree %d with %d: %v", tree.N, old.N, err)
	}
	fmt.Printf("ok tree=%d old=%d leaves=%d tiles=%d\n", tree.N, old.N, len(entries), c.fetched)
	return nil
}

// openCheckpoint checks the note's signature and reads its C2SP tlog-checkpoint body
// (origin, tree size, base64 root hash); tlog.ParseTree reads only the Go checksum
// database's own origin line.
func openCheckpoint(data []byte, verifier note.Verifier) (tlog.Tree, error) {
	opened, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		return tlog.Tree{}, err
	}
	lines := strings.SplitN(opened.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != verifier.Name() {
		return tlog.Tree{}, fmt.Errorf("origin is not %q", verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return tlog.Tree{}, fmt.Errorf("malformed tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("malformed root hash %q", lines[2])
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	return tree, nil
}

// entries reads every entry bundle of a tree of n leaves: uint16-length-prefixed leaves.
func (c *checker) entries(n int64) ([][]byte, error) {
	var all [][]byte
	for first := int64(0); first < n; first += 1 << height {
		tile := tlog.Tile{H: height, L: 0, N: first >> height, W: 1 << height}
		if n-first < 1<<height {
			tile.W = int(n - first)
		}
		data, err := c.get("tile/entries/"+indexPath(tile), true)
		if err != nil {
			return nil, err
		}
		bundle, err := splitBundle(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", indexPath(tile), err)
		}
		if len(bundle) != tile.W {
			return nil, fmt.Errorf("%s holds %d entries, want %d", indexPath(tile), len(bundle), tile.W)
		}
		all = append(all, bundle...)
	}
	if c.tamperEntry && len(all) > 0 {
		all[0] = append([]byte{}, all[0]...)
		all[0][0] ^= 1
	}
	return all, nil
}

func splitBundle(data []byte) ([][]byte, error) {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("truncated entry length")
		}
		size := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+size {
			return nil, errors.New("truncated entry")
		}
		entries = append(entries, data[2:2+size])
		data = data[2+size:]
	}
	return entries, nil
}

// indexPath is the tile's <N>[.p/<W>]: Go's own tile path, less its "tile/<H>/<L>/".
func indexPath(tile tlog.Tile) string {
	parts := strings.SplitN(tile.Path(), "/", 4)
	return parts[3]
}

// tilePath is the C2SP spelling, tile/<L>/<N>[.p/<W>]: the height is not in it.
func tilePath(tile tlog.Tile) string {
	return fmt.Sprintf("tile/%d/%s", tile.L, indexPath(tile))
}

func (c *checker) Height() int { return height }

func (c *checker) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, tile := range tiles {
		if cached, ok := c.tiles[tile]; ok {
			data[i] = cached
			continue
		}
		body, err := c.get(tilePath(tile), false)
		if err != nil {
			return nil, err
		}
		if c.tamperTile && tile.L == 0 {
			body = append([]byte{}, body...)
			body[0] ^= 1
			c.tamperTile = false
		}
		c.fetched++
		data[i] = body
	}
	return data, nil
}

// SaveTiles keeps the tiles TileHashReader has authenticated, as a client's cache would.
func (c *checker) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, tile := range tiles {
		c.tiles[tile] = data[i]
	}
}

func (c *checker) get(path string, private bool) ([]byte, error) {
	request, err := http.NewRequest(http.MethodGet, c.base+"/"+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	if private {
		request.Header.Set("Authorization", "Bearer "+c.token)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnreadable, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errUnreadable, path, err)
	}
	if response.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: %s: %s", errUnreadable, path, response.Status, bytes.TrimSpace(body))
	}
	return body, nil
}
