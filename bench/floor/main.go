// Command floor runs one pod cycle with the Engine API calls sidecar makes for it, in the
// simplest sequence and nothing else: create the infra container and start it, create the
// app containers, start the sidecars one after the other, start main, wait for it to exit,
// stop the sidecars in reverse order, remove everything. It is the floor that `sidecar up`'s
// pod cycle is measured against (bench/podcycle, make bench).
//
// It prints "main-started SECONDS" when main's start returned and "total SECONDS" at the
// end, both counted from its own start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// LabelRun marks the floor's containers, so that a harness can remove what a failed run left.
const LabelRun = "dev.sidecar-bench.run"

func main() {
	infraImage := flag.String("infra", "", "image of the infra container (sidecar's infra image)")
	image := flag.String("image", "", "image of the app containers (the project's test programs)")
	sidecars := flag.Int("sidecars", 3, "number of sidecars")
	name := flag.String("name", "floor", "name prefix of the containers, and the value of "+LabelRun)
	flag.Parse()
	if *infraImage == "" || *image == "" {
		fmt.Fprintln(os.Stderr, "floor: -infra and -image are required")
		os.Exit(2)
	}
	if err := cycle(context.Background(), *infraImage, *image, *sidecars, *name); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func cycle(ctx context.Context, infraImage, image string, sidecars int, name string) (err error) {
	start := time.Now()
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return err
	}
	defer cli.Close()
	labels := map[string]string{LabelRun: name}
	var ids []string // every container, in creation order
	defer func() {
		if err != nil { // leave nothing behind
			for _, id := range ids {
				_, _ = cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
			}
		}
	}()
	create := func(suffix string, cfg *container.Config, hc *container.HostConfig) (string, error) {
		cfg.Labels = labels
		res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name + "-" + suffix, Config: cfg, HostConfig: hc})
		if err != nil {
			return "", fmt.Errorf("create %s: %w", suffix, err)
		}
		ids = append(ids, res.ID)
		return res.ID, nil
	}
	startC := func(id string) error {
		_, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
		return err
	}

	infra, err := create("infra", &container.Config{Image: infraImage, Hostname: name}, &container.HostConfig{IpcMode: container.IPCModeShareable})
	if err != nil {
		return err
	}
	if err := startC(infra); err != nil {
		return fmt.Errorf("start infra: %w", err)
	}
	joined := &container.HostConfig{NetworkMode: container.NetworkMode("container:" + infra)}
	var side []string
	for i := range sidecars {
		id, err := create(fmt.Sprintf("sidecar%d", i+1), &container.Config{Image: image, Cmd: []string{"/crasher", "-forever"}}, joined)
		if err != nil {
			return err
		}
		side = append(side, id)
	}
	mainID, err := create("main", &container.Config{Image: image, Cmd: []string{"/crasher", "-exit-code", "0"}}, joined)
	if err != nil {
		return err
	}
	for i, id := range side {
		if err := startC(id); err != nil {
			return fmt.Errorf("start sidecar %d: %w", i+1, err)
		}
	}
	wait := cli.ContainerWait(ctx, mainID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if err := startC(mainID); err != nil {
		return fmt.Errorf("start main: %w", err)
	}
	fmt.Printf("main-started %.3f\n", time.Since(start).Seconds())
	select {
	case res := <-wait.Result:
		if res.Error != nil {
			return errors.New(res.Error.Message)
		}
	case err := <-wait.Error:
		return fmt.Errorf("wait for main: %w", err)
	}
	timeout := 10
	for i := len(side) - 1; i >= 0; i-- {
		if _, err := cli.ContainerStop(ctx, side[i], client.ContainerStopOptions{Timeout: &timeout}); err != nil {
			return fmt.Errorf("stop sidecar %d: %w", i+1, err)
		}
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if _, err := cli.ContainerRemove(ctx, ids[i], client.ContainerRemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("remove %s: %w", ids[i], err)
		}
	}
	fmt.Printf("total %.3f\n", time.Since(start).Seconds())
	return nil
}
