// amqp-bench: the Hotline benchmark's job done with two RabbitMQ nodes.
//
// One process holds both clients, so sending and arrival are timed on one monotonic clock:
//   - at site A it declares quorum queue hota (durable) and publishes persistent messages
//     (delivery mode 2) to it on a channel in confirm mode, at most -window awaiting their
//     publisher confirm;
//   - at site B it declares quorum queue hotb (durable) and consumes it with manual acks and a
//     prefetch of -prefetch, acknowledging every message as it arrives.
//
// The orchestrator (bench/orchestrate.py) starts the nodes; site A's static shovel moves hota to
// hotb over mutual TLS and acknowledges at A only once B has confirmed (ack mode on-confirm).
// Each 256-byte payload starts with a magic number and the sequence number. Modes: latency
// (paced at -rate), throughput (as fast as the window allows), cut (paced; at -cut-at-ms after
// the first send it sends SIGUSR1 to -cut-pid, the link relay), kill (the same, but -cut-pid is
// the orchestrator, which SIGKILLs node B and starts it again on the same data directory).
// The AMQP client does not reconnect by itself: when B's connection is lost, the consumer dials
// again every 250 ms and consumes again; what B redelivers counts as duplicated. Should A's
// connection be lost, the publisher connects again and publishes again every message still
// awaiting a confirm (a repeat counts as duplicated if both copies arrive). -quiet-s ends the wait
// for the last messages once nothing new has arrived for that long. Probes are published until
// one reaches B before the run starts. Prints one JSON object with the same keys as hotline-bench.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const (
	messageBytes = 256
	magicData    = 0x484c4e44 // "HLND"
	magicProbe   = 0x484c4e50 // "HLNP"
	probeTimeout = 60 * time.Second
	ackTimeout   = 120 * time.Second
	redialEvery  = 250 * time.Millisecond
	queueA       = "hota"
	queueB       = "hotb"
)

type options struct {
	mode, urlA, urlB, jsonOut string
	count, rate, window       int
	prefetch                  int
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

func (r *recorder) onMessage(data []byte) {
	t := r.now()
	if len(data) < 8 {
		return
	}
	magic := binary.LittleEndian.Uint32(data)
	seq := int(binary.LittleEndian.Uint32(data[4:]))
	r.mu.Lock()
	defer r.mu.Unlock()
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

func check(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "amqp-bench: %s: %v\n", what, err)
		os.Exit(1)
	}
}

// declare makes sure a durable quorum queue exists (the shovel declares the same ones).
func declare(ch *amqp.Channel, name string) error {
	_, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
	return err
}

// dialUntil connects to url, trying again every redialEvery until the deadline.
func dialUntil(url string, deadline time.Time) (*amqp.Connection, error) {
	for {
		conn, err := amqp.Dial(url)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(redialEvery)
	}
}

// publisher sends to hota at A on a confirm-mode channel and keeps, per delivery tag of the
// current channel, the sequence number awaiting its confirm: len(tags) is the window in use.
type publisher struct {
	url         string
	window      int
	conn        *amqp.Connection
	ch          *amqp.Channel
	confirms    chan amqp.Confirmation
	tags        map[uint64]int
	nacked      int
	republished int
	reconnects  int
}

func (p *publisher) open() error {
	conn, err := dialUntil(p.url, time.Now().Add(ackTimeout))
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = declare(ch, queueA)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		conn.Close()
		return err
	}
	p.conn, p.ch = conn, ch
	// Never more than a window of confirms is due, so the library never blocks on this channel.
	p.confirms = ch.NotifyPublish(make(chan amqp.Confirmation, 2*p.window+16))
	p.tags = make(map[uint64]int, p.window)
	return nil
}

// reopen drops the current connection, connects again and returns the sequence numbers that
// were awaiting a confirm, in order, to be published again.
func (p *publisher) reopen(why error) []int {
	fmt.Fprintln(os.Stderr, "amqp-bench: publisher connection lost, connecting again:", why)
	seqs := make([]int, 0, len(p.tags))
	for _, s := range p.tags {
		seqs = append(seqs, s)
	}
	sort.Ints(seqs)
	if p.conn != nil {
		p.conn.Close()
	}
	p.reconnects++
	check(p.open(), "reconnect to A")
	p.republished += len(seqs)
	return seqs
}

// publish sends the given sequence numbers (persistent, to hota); if the channel fails on the
// way, it reconnects and sends what was awaiting a confirm again, before the rest.
func (p *publisher) publish(seqs ...int) {
	for len(seqs) > 0 {
		tag := p.ch.GetNextPublishSeqNo()
		err := p.ch.PublishWithContext(context.Background(), "", queueA, false, false,
			amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "application/octet-stream",
				Body: payload(magicData, seqs[0])})
		if err != nil {
			seqs = append(p.reopen(err), seqs...)
			continue
		}
		p.tags[tag] = seqs[0]
		seqs = seqs[1:]
	}
}

// serve handles confirms until the deadline (zero: until one has come). A nack means the
// message was not taken: it is published again. Reports false if nothing came for ackTimeout.
func (p *publisher) serve(until time.Time) bool {
	for {
		wait := time.Until(until)
		if until.IsZero() {
			wait = ackTimeout
		}
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case c, ok := <-p.confirms:
			timer.Stop()
			if !ok {
				p.publish(p.reopen(fmt.Errorf("channel closed"))...)
			} else if seq, known := p.tags[c.DeliveryTag]; known {
				delete(p.tags, c.DeliveryTag)
				if !c.Ack {
					p.nacked++
					p.republished++
					p.publish(seq)
				}
			}
			if until.IsZero() {
				return true
			}
		case <-timer.C:
			return !until.IsZero()
		}
	}
}

// publishAll sends the run's messages with at most -window awaiting a confirm, then waits for
// the last confirms. Returns the number of messages never confirmed.
func publishAll(o options, p *publisher, rec *recorder) int {
	paced := o.mode != "throughput"
	cutSent := o.cutPid <= 0
	start := time.Now()
	for i := 0; i < o.count; i++ {
		if paced {
			p.serve(start.Add(time.Duration(i) * time.Second / time.Duration(o.rate)))
		}
		for len(p.tags) >= o.window {
			if !p.serve(time.Time{}) {
				fmt.Fprintln(os.Stderr, "amqp-bench: no confirm for", ackTimeout)
				return o.count - i + len(p.tags)
			}
		}
		if !cutSent && time.Since(start) >= time.Duration(o.cutAtMs)*time.Millisecond {
			cutSent = true
			if err := syscall.Kill(o.cutPid, syscall.SIGUSR1); err != nil {
				fmt.Fprintln(os.Stderr, "amqp-bench: signal -cut-pid:", err)
			}
		}
		rec.mu.Lock()
		rec.sent[i] = rec.now()
		rec.mu.Unlock()
		p.publish(i)
	}
	for len(p.tags) > 0 {
		if !p.serve(time.Time{}) {
			fmt.Fprintln(os.Stderr, "amqp-bench: no confirm for", ackTimeout)
			return len(p.tags)
		}
	}
	return 0
}

// consumer reads hotb at B with manual acks, acknowledging each message once recorded. When the
// connection is lost (node B killed) it dials again every redialEvery and consumes again.
type consumer struct {
	url        string
	prefetch   int
	rec        *recorder
	mu         sync.Mutex
	conn       *amqp.Connection
	stopped    bool
	reconnects int
	finished   chan struct{}
}

// session consumes on one connection until it is lost; ready (nil after the first session)
// learns when consuming has started, or why it could not.
func (c *consumer) session(ready chan<- error) error {
	fail := func(err error) error {
		if ready != nil {
			ready <- err
		}
		return err
	}
	conn, err := amqp.Dial(c.url)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return nil
	}
	c.conn = conn
	c.mu.Unlock()
	ch, err := conn.Channel()
	if err != nil {
		return fail(err)
	}
	if err := declare(ch, queueB); err != nil {
		return fail(err)
	}
	if err := ch.Qos(c.prefetch, 0, false); err != nil {
		return fail(err)
	}
	deliveries, err := ch.Consume(queueB, "hotline-bench", false, false, false, false, nil)
	if err != nil {
		return fail(err)
	}
	if ready != nil {
		ready <- nil
	} else {
		c.mu.Lock()
		c.reconnects++ // counted once consuming again
		c.mu.Unlock()
	}
	for d := range deliveries {
		c.rec.onMessage(d.Body)
		if err := d.Ack(false); err != nil {
			break
		}
	}
	return nil
}

// run consumes until stop, starting a new session whenever one ends.
func (c *consumer) run(ready chan<- error) {
	defer close(c.finished)
	if c.session(ready) != nil {
		return
	}
	for {
		c.mu.Lock()
		stopped := c.stopped
		c.mu.Unlock()
		if stopped {
			return
		}
		if err := c.session(nil); err != nil {
			time.Sleep(redialEvery)
		}
	}
}

func (c *consumer) stop() {
	c.mu.Lock()
	c.stopped = true
	if c.conn != nil {
		c.conn.Close()
	}
	c.mu.Unlock()
	select {
	case <-c.finished:
	case <-time.After(10 * time.Second):
	}
}

func (c *consumer) reconnectCount() int { c.mu.Lock(); defer c.mu.Unlock(); return c.reconnects }

// awaitPath publishes probes to hota (persistent, on a channel of their own) until one is
// delivered at B.
func awaitPath(conn *amqp.Connection, rec *recorder) bool {
	ch, err := conn.Channel()
	check(err, "probe channel at A")
	defer ch.Close()
	deadline := time.After(probeTimeout)
	for {
		err := ch.PublishWithContext(context.Background(), "", queueA, false, false,
			amqp.Publishing{DeliveryMode: amqp.Persistent, Body: payload(magicProbe, 0)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "amqp-bench: probe:", err)
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

// waitDrained waits until every message has reached B, for at most -drain-s, or, with -quiet-s,
// until nothing new has arrived for that long (counted from now at the earliest: every publish
// has its confirm by now). Reports whether every message arrived.
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
		"system": "rabbitmq", "mode": o.mode, "messages": o.count, "message_bytes": messageBytes,
		"latency_p50_ms": percentile(lat, 0.50), "latency_p99_ms": percentile(lat, 0.99),
		"latency_max_ms": percentile(lat, 1.0), "throughput_msgs_per_s": throughput,
		"lost": o.count - len(lat), "duplicated": rec.duplicated, "post_failures": failures,
		"complete": complete, "window": o.window, "prefetch": o.prefetch,
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
	flag.StringVar(&o.mode, "mode", "latency", "latency, throughput, cut or kill")
	flag.StringVar(&o.urlA, "a", "", "AMQP URL of node A (amqp://user:password@host:port/)")
	flag.StringVar(&o.urlB, "b", "", "AMQP URL of node B")
	flag.StringVar(&o.jsonOut, "json", "", "write the result here too")
	flag.IntVar(&o.count, "count", 4000, "messages")
	flag.IntVar(&o.rate, "rate", 200, "messages per second when paced")
	flag.IntVar(&o.window, "window", 1000, "most publishes awaiting a publisher confirm")
	flag.IntVar(&o.prefetch, "prefetch", 65535, "consumer prefetch at B (most unacknowledged deliveries)")
	flag.IntVar(&o.cutPid, "cut-pid", 0, "process to send SIGUSR1 to at -cut-at-ms")
	flag.IntVar(&o.cutAtMs, "cut-at-ms", 3000, "when to cut, after the first send")
	flag.IntVar(&o.drainS, "drain-s", 120, "how long to wait for every message at B")
	flag.IntVar(&o.settleS, "settle-s", 0, "extra wait for late duplicates")
	flag.IntVar(&o.quietS, "quiet-s", 0,
		"stop waiting for the last messages after this long without a new one (0: only -drain-s)")
	flag.Parse()
	if o.urlA == "" || o.urlB == "" || o.count <= 0 || o.rate <= 0 || o.window <= 0 ||
		o.prefetch <= 0 || o.prefetch > 65535 {
		flag.Usage()
		os.Exit(2)
	}
	rec := newRecorder(o.count)
	pub := &publisher{url: o.urlA, window: o.window}
	check(pub.open(), "connect to A")
	sub := &consumer{url: o.urlB, prefetch: o.prefetch, rec: rec, finished: make(chan struct{})}
	ready := make(chan error, 1)
	go sub.run(ready)
	check(<-ready, "consume at B")
	if !awaitPath(pub.conn, rec) {
		fmt.Fprintln(os.Stderr, "amqp-bench: no probe reached B in time")
		os.Exit(1)
	}
	failures := publishAll(o, pub, rec)
	complete := waitDrained(o, rec)
	// Late duplicates (redeliveries after a reconnect) arrive after the last first delivery.
	time.Sleep(time.Duration(o.settleS) * time.Second)
	sub.stop()
	out := report(o, rec, failures, complete)
	out["sub_reconnects"] = sub.reconnectCount()
	out["pub_reconnects"] = pub.reconnects
	out["republished"] = pub.republished
	out["nacked"] = pub.nacked
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
	if o.jsonOut != "" {
		check(os.WriteFile(o.jsonOut, append(text, '\n'), 0o644), "write "+o.jsonOut)
	}
	pub.conn.Close()
	if !complete || failures > 0 {
		os.Exit(1)
	}
}
