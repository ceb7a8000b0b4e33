package main

import (
	"os"

	"github.com/bulwark-dev/bulwark/internal/localprovider"
)

func main() {
	os.Exit(localprovider.Main(os.Args[1:]))
}
