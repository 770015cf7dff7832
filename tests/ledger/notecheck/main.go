// Checks a signed note with the reference verifier (golang.org/x/mod/sumdb/note):
// the verifier key is the first argument, the note comes on standard input, and the
// note's text is printed when a signature by that key verifies.
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	verifier, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifier key:", err)
		os.Exit(2)
	}
	message, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading the note:", err)
		os.Exit(2)
	}
	opened, err := note.Open(message, note.VerifierList(verifier))
	if err != nil {
		fmt.Fprintln(os.Stderr, "note:", err)
		os.Exit(1)
	}
	fmt.Print(opened.Text)
}
