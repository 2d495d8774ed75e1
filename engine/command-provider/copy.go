package main

// The command:remote:CopyToRemote resource: a local file, directory or text
// copied to the host over SFTP, as the official plugin v1.2.1 does it:
//   - sources: a FileAsset or StringAsset, or a FileArchive with a path (a
//     .tar or .tgz file is copied as one file, never unpacked);
//   - where it lands (source | remotePath is a directory | is missing | is a file):
//       file  | <dir>/<file>           | remotePath (parents made) | overwritten
//       dir   | <dir>/<dir>            | <remotePath>/<dir>        | error
//       dir/  | its entries in <dir>   | its entries in remotePath | error
//       text  | error                  | remotePath (parents made) | overwritten
//   - files are written without attributes (modes follow the server's umask);
//     nothing on the host is removed, not even on delete;
//   - an update copies again only when the content hash or remotePath changed;
//   - the state keeps the asset as the engine serialises it: path and hash.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
)

type CopyToRemote struct{}

func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.SetToken("remote", "CopyToRemote")
	a.Describe(&c, "Copy an Asset or Archive to a remote host.")
}

type CopyToRemoteInputs struct {
	Connection *Connection          `pulumi:"connection" provider:"secret"`
	Triggers   []any                `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Source     types.AssetOrArchive `pulumi:"source"`
	RemotePath string               `pulumi:"remotePath"`
}

type CopyToRemoteOutputs struct {
	CopyToRemoteInputs
}

// Check adds the official plugin's checks of the source kind to infer's.
func (*CopyToRemote) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[CopyToRemoteInputs], error) {
	in, failures, err := infer.DefaultCheck[CopyToRemoteInputs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[CopyToRemoteInputs]{Inputs: in, Failures: failures}, err
	}
	asset, archive := in.Source.Asset, in.Source.Archive
	fail := func(prop, reason string) {
		failures = append(failures, p.CheckFailure{Property: prop, Reason: reason})
	}
	switch {
	case asset != nil && archive != nil:
		fail("asset", "only one of asset or archive can be set")
	case asset == nil && archive == nil:
		fail("asset", "either asset or archive must be set")
	}
	if asset != nil && !asset.IsPath() && !asset.IsText() {
		fail("asset", "asset must be a path-based file asset or a text asset")
	}
	if archive != nil && !archive.IsPath() {
		fail("archive", "archive must be a path to a file or directory")
	}
	return infer.CheckResponse[CopyToRemoteInputs]{Inputs: in, Failures: failures}, nil
}

func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteInputs]) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if err := copyToRemote(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[CopyToRemoteOutputs]{}, err
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return infer.CreateResponse[CopyToRemoteOutputs]{}, err
	}
	return infer.CreateResponse[CopyToRemoteOutputs]{ID: hex.EncodeToString(b), Output: out}, nil
}

func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]) (infer.UpdateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if req.Inputs.contentHash() != req.State.contentHash() || req.Inputs.RemotePath != req.State.RemotePath {
		if err := copyToRemote(ctx, req.Inputs); err != nil {
			return infer.UpdateResponse[CopyToRemoteOutputs]{}, err
		}
	}
	return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
}

// Delete leaves the copied files on the host, as the official plugin does.

func (in CopyToRemoteInputs) contentHash() string {
	if in.Source.Archive != nil {
		return in.Source.Archive.Hash
	}
	if in.Source.Asset != nil {
		return in.Source.Asset.Hash
	}
	return ""
}

func copyToRemote(ctx context.Context, in CopyToRemoteInputs) error {
	if in.Connection == nil {
		return errors.New("connection is required")
	}
	client, err := connect(ctx, in.Connection)
	if err != nil {
		return err
	}
	defer client.Close()
	sc, err := sftp.NewClient(client.Client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return err
	}
	defer sc.Close()
	if a := in.Source.Asset; a != nil && a.IsText() {
		return putText(sc, a.Text, in.RemotePath)
	}
	src := ""
	if a := in.Source.Asset; a != nil {
		src = a.Path
	} else {
		src = in.Source.Archive.Path
	}
	return putPath(sc, src, in.RemotePath)
}

// statRemote returns nil, nil when path does not exist.
func statRemote(sc *sftp.Client, path string) (fs.FileInfo, error) {
	info, err := sc.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("failed to stat remote path %s: %w", path, err)
	}
	return info, nil
}

func putText(sc *sftp.Client, text, dest string) error {
	info, err := statRemote(sc, dest)
	if err != nil {
		return err
	}
	if info != nil && info.IsDir() {
		return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", dest)
	}
	if err := sc.MkdirAll(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
	}
	f, err := sc.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(text)); err != nil {
		return fmt.Errorf("failed to write text content to remote path %s: %w", dest, err)
	}
	return nil
}

func putPath(sc *sftp.Client, src, dest string) error {
	local, err := os.Stat(src)
	if err != nil {
		return err
	}
	info, err := statRemote(sc, dest)
	if err != nil {
		return err
	}
	if !local.IsDir() {
		switch {
		case info != nil && info.IsDir():
			dest = filepath.Join(dest, filepath.Base(src))
		case info == nil:
			if err := sc.MkdirAll(filepath.Dir(dest)); err != nil {
				return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
			}
		}
		return putFile(sc, src, dest)
	}
	if info == nil {
		if err := sc.MkdirAll(dest); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", dest, err)
		}
	}
	if !strings.HasSuffix(src, "/") {
		dest = filepath.Join(dest, filepath.Base(src))
		if err := ensureRemoteDir(sc, dest); err != nil {
			return err
		}
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dest, rel)
		if d.IsDir() {
			return ensureRemoteDir(sc, target)
		}
		return putFile(sc, path, target)
	})
}

func ensureRemoteDir(sc *sftp.Client, dir string) error {
	info, err := statRemote(sc, dir)
	if err != nil {
		return err
	}
	if info == nil {
		if err := sc.Mkdir(dir); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", dir, err)
		}
		return nil
	}
	if !info.IsDir() {
		return fmt.Errorf("remote path %s exists but is not a directory", dir)
	}
	return nil
}

func putFile(sc *sftp.Client, src, dest string) error {
	local, err := os.Open(src)
	if err != nil {
		return err
	}
	defer local.Close()
	remote, err := sc.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	defer remote.Close()
	if _, err := remote.ReadFrom(local); err != nil {
		return fmt.Errorf("failed to copy file %s to remote path %s: %w", src, dest, err)
	}
	return nil
}
