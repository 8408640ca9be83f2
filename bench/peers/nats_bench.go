// nats-bench: the Hotline benchmark's job done with two NATS JetStream servers.
//
// One process holds both clients, so sending and arrival are timed on one monotonic clock:
//   - at site A it creates stream HOTA (file storage, subjects hotline.>) and publishes
//     JetStream messages with a message id, at most -window awaiting their PubAck;
//   - at site B it creates stream HOTB (file storage), a mirror of HOTA reached through the
//     leafnode link ($JS.A.API), and reads it with a durable push consumer with explicit acks.
//
// The orchestrator (bench/orchestrate.py) starts the servers. Each 256-byte payload starts with
// a magic number and the sequence number. Modes: latency (paced at -rate), throughput (as fast as
// the window allows), cut (paced; at -cut-at-ms after the first send it sends SIGUSR1 to
// -cut-pid, the link relay), kill (the same, but -cut-pid is the orchestrator, which SIGKILLs
// server B and starts it again on the same store directory). Through a kill the client
// reconnects to B by itself and its subscription is made again; the durable consumer, restored
// from B's store, resumes from its stored ack state. -quiet-s ends the wait for the last messages
// once nothing new has arrived for that long. Probes are published until one reaches B before
// the run starts. Prints one JSON object with the same keys as hotline-bench.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

const (
	messageBytes = 256
	magicData    = 0x484c4e44 // "HLND"
	magicProbe   = 0x484c4e50 // "HLNP"
	probeTimeout = 60 * time.Second
	ackTimeout   = 120 * time.Second
)

type options struct {
	mode, urlA, urlB, jsonOut string
	count, rate, window       int
	cutPid, cutAtMs           int
	drainS, settleS, quietS   int
}

// recorder keeps, per sequence number, when it was sent and when it first reached B.
type recorder struct {
	mu         sync.Mutex
	t0         time.Time
	sent       []int64
	arrival    []int64
	received   int
	duplicated int
	probeSeen  bool
	lastNew    time.Time // when a sequence number last reached B for the first time
	lastDup    int64     // when the latest duplicate reached B (-1: none)
	done       chan struct{}
	probe      chan struct{}
}

func newRecorder(n int) *recorder {
	r := &recorder{t0: time.Now(), sent: make([]int64, n), arrival: make([]int64, n),
		done: make(chan struct{}), probe: make(chan struct{}), lastDup: -1}
	for i := range r.sent {
		r.sent[i], r.arrival[i] = -1, -1
	}
	return r
}

func (r *recorder) now() int64 { return int64(time.Since(r.t0)) }

func (r *recorder) onMessage(m *nats.Msg) {
	t := r.now()
	if len(m.Data) >= 8 {
		magic := binary.LittleEndian.Uint32(m.Data)
		seq := int(binary.LittleEndian.Uint32(m.Data[4:]))
		r.mu.Lock()
		switch {
		case magic == magicProbe && !r.probeSeen:
			r.probeSeen = true
			close(r.probe)
		case magic == magicData && seq < len(r.arrival):
			if r.arrival[seq] >= 0 {
				r.duplicated++
				r.lastDup = t
			} else {
				r.arrival[seq] = t
				r.lastNew = time.Now()
				r.received++
				if r.received == len(r.arrival) {
					close(r.done)
				}
			}
		}
		r.mu.Unlock()
	}
	m.Ack()
}

func payload(magic uint32, seq int) []byte {
	b := make([]byte, messageBytes)
	for i := range b {
		b[i] = 'x'
	}
	binary.LittleEndian.PutUint32(b, magic)
	binary.LittleEndian.PutUint32(b[4:], uint32(seq))
	return b
}

// reconnects counts a connection's automatic reconnects (server B restarting after a kill).
type reconnects struct {
	mu sync.Mutex
	n  int
}

func (c *reconnects) add(*nats.Conn) { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *reconnects) get() int       { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

func connect(url, name string, rc *reconnects) (*nats.Conn, nats.JetStreamContext) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true),
		nats.ReconnectHandler(rc.add))
	check(err, "connect "+url)
	// The client's own limit sits above the window, so PublishAsync never stalls on it.
	js, err := nc.JetStream(nats.PublishAsyncMaxPending(1 << 20))
	check(err, "jetstream "+url)
	return nc, js
}

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "nats-bench: %s: %v\n", what, err)
		os.Exit(1)
	}
}

// setup creates HOTA at A, its mirror HOTB at B and the durable consumer reading HOTB.
func setup(jsA, jsB nats.JetStreamContext, rec *recorder) *nats.Subscription {
	_, err := jsA.AddStream(&nats.StreamConfig{Name: "HOTA", Subjects: []string{"hotline.>"},
		Storage: nats.FileStorage, Retention: nats.LimitsPolicy, Discard: nats.DiscardOld,
		Replicas: 1, Duplicates: 2 * time.Minute})
	check(err, "create stream HOTA at A")
	_, err = jsB.AddStream(&nats.StreamConfig{Name: "HOTB", Storage: nats.FileStorage, Replicas: 1,
		Mirror: &nats.StreamSource{Name: "HOTA",
			External: &nats.ExternalStream{APIPrefix: "$JS.A.API"}}})
	check(err, "create mirror HOTB at B")
	sub, err := jsB.Subscribe("", rec.onMessage, nats.BindStream("HOTB"), nats.Durable("hotline-bench"),
		nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(), nats.MaxAckPending(65536),
		nats.AckWait(30*time.Second))
	check(err, "durable consumer on HOTB")
	return sub
}

// awaitPath publishes probes at A until one is delivered at B.
func awaitPath(jsA nats.JetStreamContext, rec *recorder) bool {
	deadline := time.After(probeTimeout)
	for {
		if _, err := jsA.Publish("hotline.probe", payload(magicProbe, 0)); err != nil {
			fmt.Fprintln(os.Stderr, "nats-bench: probe:", err)
		}
		select {
		case <-rec.probe:
			return true
		case <-deadline:
			return false
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// publishAll sends the run's messages; acks are awaited in order by one goroutine, and the
// buffered channel of futures is the window. Returns the number of failed publishes.
func publishAll(o options, jsA nats.JetStreamContext, rec *recorder) int {
	pending := make(chan nats.PubAckFuture, o.window)
	failures := make(chan int, 1)
	go func() {
		failed := 0
		for f := range pending {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				failed++
				fmt.Fprintln(os.Stderr, "nats-bench: publish:", err)
			case <-time.After(ackTimeout):
				failed++
			}
		}
		failures <- failed
	}()
	paced := o.mode != "throughput"
	cutSent := o.cutPid <= 0
	start := time.Now()
	failed := 0
	for i := 0; i < o.count; i++ {
		if paced {
			if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(o.rate))); d > 0 {
				time.Sleep(d)
			}
		}
		if !cutSent && time.Since(start) >= time.Duration(o.cutAtMs)*time.Millisecond {
			cutSent = true
			if err := syscall.Kill(o.cutPid, syscall.SIGUSR1); err != nil {
				fmt.Fprintln(os.Stderr, "nats-bench: signal -cut-pid:", err)
			}
		}
		data := payload(magicData, i)
		rec.mu.Lock()
		rec.sent[i] = rec.now()
		rec.mu.Unlock()
		f, err := jsA.PublishAsync("hotline.a2b", data, nats.MsgId(fmt.Sprintf("m%d", i)))
		if err != nil {
			failed++
			continue
		}
		pending <- f
	}
	close(pending)
	return failed + <-failures
}

// waitDrained waits until every message has reached B, for at most -drain-s, or, with -quiet-s,
// until nothing new has arrived for that long (counted from now at the earliest: every publish
// has its PubAck by now). Reports whether every message arrived.
func waitDrained(o options, rec *recorder) bool {
	deadline := time.After(time.Duration(o.drainS) * time.Second)
	quiet := time.Duration(o.quietS) * time.Second
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-rec.done:
			return true
		case <-deadline:
			return false
		case <-tick.C:
			if quiet <= 0 {
				continue
			}
			rec.mu.Lock()
			last := rec.lastNew
			rec.mu.Unlock()
			if last.Before(start) {
				last = start
			}
			if time.Since(last) >= quiet {
				return false
			}
		}
	}
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func report(o options, rec *recorder, failures int, complete bool) map[string]interface{} {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var lat []float64
	first, last := int64(1<<62), int64(0)
	for i := range rec.arrival {
		if rec.arrival[i] < 0 || rec.sent[i] < 0 {
			continue
		}
		lat = append(lat, float64(rec.arrival[i]-rec.sent[i])/1e6)
		if rec.sent[i] < first {
			first = rec.sent[i]
		}
		if rec.arrival[i] > last {
			last = rec.arrival[i]
		}
	}
	sort.Float64s(lat)
	throughput := 0.0
	if len(lat) > 0 && last > first {
		throughput = float64(len(lat)) / (float64(last-first) / 1e9)
	}
	out := map[string]interface{}{
		"system": "nats", "mode": o.mode, "messages": o.count, "message_bytes": messageBytes,
		"latency_p50_ms": percentile(lat, 0.50), "latency_p99_ms": percentile(lat, 0.99),
		"latency_max_ms": percentile(lat, 1.0), "throughput_msgs_per_s": throughput,
		"lost": o.count - len(lat), "duplicated": rec.duplicated, "post_failures": failures,
		"complete": complete, "window": o.window,
	}
	if o.mode != "throughput" {
		out["rate_msgs_per_s"] = o.rate
	}
	// How late the latest duplicate came, after the first send: against the settle time.
	out["last_duplicate_ms"] = -1.0
	if rec.lastDup >= 0 && len(rec.sent) > 0 && rec.sent[0] >= 0 {
		out["last_duplicate_ms"] = float64(rec.lastDup-rec.sent[0]) / 1e6
	}
	if o.mode == "kill" {
		out["kill_lost"], out["kill_duplicated"] = o.count-len(lat), rec.duplicated
	}
	return out
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "latency", "latency, throughput or cut")
	flag.StringVar(&o.urlA, "a", "", "client URL of server A")
	flag.StringVar(&o.urlB, "b", "", "client URL of server B")
	flag.StringVar(&o.jsonOut, "json", "", "write the result here too")
	flag.IntVar(&o.count, "count", 4000, "messages")
	flag.IntVar(&o.rate, "rate", 200, "messages per second when paced")
	flag.IntVar(&o.window, "window", 1000, "most publishes awaiting a PubAck")
	flag.IntVar(&o.cutPid, "cut-pid", 0, "relay to send SIGUSR1 to")
	flag.IntVar(&o.cutAtMs, "cut-at-ms", 3000, "when to cut, after the first send")
	flag.IntVar(&o.drainS, "drain-s", 120, "how long to wait for every message at B")
	flag.IntVar(&o.settleS, "settle-s", 0, "extra wait for late duplicates")
	flag.IntVar(&o.quietS, "quiet-s", 0,
		"stop waiting for the last messages after this long without a new one (0: only -drain-s)")
	flag.Parse()
	if o.urlA == "" || o.urlB == "" || o.count <= 0 || o.rate <= 0 || o.window <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	rec := newRecorder(o.count)
	var rcA, rcB reconnects
	ncA, jsA := connect(o.urlA, "hotline-bench-pub", &rcA)
	ncB, jsB := connect(o.urlB, "hotline-bench-sub", &rcB)
	sub := setup(jsA, jsB, rec)
	if !awaitPath(jsA, rec) {
		fmt.Fprintln(os.Stderr, "nats-bench: no probe reached B in time")
		os.Exit(1)
	}
	failures := publishAll(o, jsA, rec)
	complete := waitDrained(o, rec)
	// Late duplicates (redeliveries after a reconnect) arrive after the last first delivery.
	time.Sleep(time.Duration(o.settleS) * time.Second)
	out := report(o, rec, failures, complete)
	out["sub_reconnects"] = rcB.get()
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
	if o.jsonOut != "" {
		check(os.WriteFile(o.jsonOut, append(text, '\n'), 0o644), "write "+o.jsonOut)
	}
	sub.Unsubscribe()
	ncA.Close()
	ncB.Close()
	if !complete || failures > 0 {
		os.Exit(1)
	}
}
