// Command bao builds the OpenBao server/CLI binary from the Go module proxy.
//
// OpenBao's own go.mod carries replace directives, so `go install` of it is
// refused; this wrapper module pins the release commit instead. The build:
//
//	go build -trimpath -ldflags "-X github.com/openbao/openbao/version.fullVersion=2.4.0" -o bao .
//
// test/services/tools.ts runs exactly this into ~/.cache/rotator/bin/openbao-v2.4.0/.
//
// Without -ldflags the binary reports version 2.0.0-HEAD (upstream fills the
// version in at release time).
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
