using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Analysis.Go;

public sealed partial class GoExecutionTrace
{
    /// <summary>
    /// How the decoder orders events without a copy of each. Batches are per thread (M), so events of different threads
    /// interleave in the file, and within a generation (a run of batches of one generation in the file) the order that
    /// matters is by time, ties in file order. A batch's events come in time order (their times add non-negative deltas),
    /// so the first pass over the file only checks and counts events and notes each batch (where it is, its M, its clock);
    /// then <see cref="Merge"/> merges a generation's batches, reading each event again from the file's bytes when it
    /// comes up. Memory per event: none (24 bytes per batch), and the transitions the events make go into one array
    /// sized from the counts (12 bytes each). The events given to <see cref="Event"/>, and their order, are those of the
    /// per-generation sort by (time, file order) this replaced (what the first pass keeps and what Event changes are
    /// apart, so doing all of the one before the other changes nothing). A time going back within a batch (its clock
    /// wrapped: only a damaged trace) starts a new run there, so every run is in time order and the merge stays exact.
    /// </summary>
    private sealed partial class Decoder
    {
        /// <summary>A stretch of one batch whose events' times never go down: from <see cref="BatchRun.Start"/> (an offset in the file) to <see cref="BatchRun.End"/>, its thread, and the batch clock (ticks) at its start.</summary>
        private readonly record struct BatchRun(int Start, int End, ulong M, ulong Ticks);

        /// <summary>A run being merged: where its next event starts, its clock, and its head event (the next to process): offset, type, time in ns; the head's arguments are in <see cref="_headArgs"/>.</summary>
        private struct Cursor
        {
            public int Pos, End, HeadAt;
            public byte HeadType;
            public ulong M, Ticks, HeadNs;
        }

        /// <summary>
        /// A goroutine's change of state at a time (ns), in 12 bytes: the goroutine's index in <see cref="_gIds"/> and
        /// the state packed as index × 5 + state (a trace's bytes fit in an array, under 2^31, and an event that names a
        /// new goroutine takes at least 3 of them, so an index stays under 2^31 / 3, and index × 5 + 4 under 2^32).
        /// </summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        private readonly struct Transition(ulong time, int g, GState state)
        {
            public readonly ulong Time = time;
            private readonly uint _gState = (uint)g * 5 + (uint)state;

            public int G => (int)(_gState / 5);

            public GState State => (GState)(_gState % 5);
        }

        private const int MaxArgs = 5;
        private readonly List<BatchRun> _runs = new(); // every batch's runs, in file order
        private readonly List<(ulong Gen, int FirstRun)> _generations = new(); // where each run of one generation's batches starts in _runs
        private long _switches; // GoSwitch and GoSwitchDestroy events: the two transitions they make are the most an event makes
        private Cursor[] _cursors = [];
        private ulong[] _headArgs = [];
        private int[] _merge = []; // a binary min-heap of cursor indexes, by (head time, head offset)
        private readonly Dictionary<ulong, int> _gIndex = new(); // goroutine id -> its index in _gIds
        private readonly List<ulong> _gIds = new(); // every goroutine the trace mentions, in first-mention order
        private Transition[] _transitions = []; // in the order processed; sized by ProcessEvents
        private int _transitionCount;

        /// <summary>
        /// The first pass over one batch: strings, stacks, clock snapshots and warnings are kept, every event is checked
        /// (a damaged one throws here, before any of its generation is processed), counted and its time noted; the
        /// batch's runs are noted for <see cref="ProcessEvents"/>.
        /// </summary>
        private void Batch(ulong gen, ulong m, ulong time, int start, int end)
        {
            Span<ulong> args = stackalloc ulong[MaxArgs];
            int pos = start, runStart = start, after = start;
            ulong ts = time, runTicks = time, ticksAfter = time, last = 0;
            bool any = false;
            while (Next(gen, ref pos, end, ref ts, args, out byte type, out _, record: true))
            {
                _events++;
                if (type is EvGoSwitch or EvGoSwitchDestroy)
                    _switches++;
                ulong ns = Ns(ts, gen);
                _min = Math.Min(_min, ns);
                _max = Math.Max(_max, ns);
                if (ns < last)
                {
                    // the batch's clock went back: a new run from the end of the event before
                    _runs.Add(new BatchRun(runStart, after, m, runTicks));
                    (runStart, runTicks) = (after, ticksAfter);
                }

                (last, after, ticksAfter, any) = (ns, pos, ts, true);
            }

            if (any)
                _runs.Add(new BatchRun(runStart, end, m, runTicks));
        }

        /// <summary>The batches from here on are of generation <paramref name="gen"/> (until another is named).</summary>
        private void Generation(ulong gen) => _generations.Add((gen, _runs.Count));

        /// <summary>After the first pass: every generation's events, in time order, to <see cref="Event"/>.</summary>
        private void ProcessEvents()
        {
            // each event makes at most one transition, a switch two
            _transitions = new Transition[_events + _switches];
            for (int i = 0; i < _generations.Count; i++)
            {
                int first = _generations[i].FirstRun, end = i + 1 < _generations.Count ? _generations[i + 1].FirstRun : _runs.Count;
                Merge(_generations[i].Gen, first, end - first);
            }

            _runs.Clear();
            _runs.TrimExcess();
        }

        /// <summary>Gives the events of <paramref name="count"/> runs from <paramref name="first"/> (of generation <paramref name="gen"/>) to <see cref="Event"/> in time order, ties in file order.</summary>
        private void Merge(ulong gen, int first, int count)
        {
            if (count == 0)
                return;
            if (_cursors.Length < count)
            {
                int size = Math.Max(count, _cursors.Length * 2);
                _cursors = new Cursor[size];
                _headArgs = new ulong[size * MaxArgs];
                _merge = new int[size];
            }

            int heap = 0;
            for (int i = 0; i < count; i++)
            {
                var run = _runs[first + i];
                _cursors[i] = new Cursor { Pos = run.Start, End = run.End, M = run.M, Ticks = run.Ticks };
                if (Advance(i, gen))
                {
                    _merge[heap] = i;
                    Up(heap++);
                }
            }

            while (heap > 0)
            {
                int top = _merge[0];
                ref var c = ref _cursors[top];
                Event(c.HeadType, gen, c.M, c.HeadNs, _headArgs.AsSpan(top * MaxArgs, ArgCounts[c.HeadType]));
                if (!Advance(top, gen))
                    _merge[0] = _merge[--heap];
                if (heap > 0)
                    Down(0, heap);
            }
        }

        /// <summary>Reads cursor <paramref name="i"/>'s next event into its head; false at the end of its run.</summary>
        private bool Advance(int i, ulong gen)
        {
            ref var c = ref _cursors[i];
            if (c.Pos >= c.End || !Next(gen, ref c.Pos, c.End, ref c.Ticks, _headArgs.AsSpan(i * MaxArgs, MaxArgs), out c.HeadType, out c.HeadAt, record: false))
                return false;
            c.HeadNs = Ns(c.Ticks, gen);
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Before(int a, int b)
        {
            ref var x = ref _cursors[a];
            ref var y = ref _cursors[b];
            return x.HeadNs < y.HeadNs || (x.HeadNs == y.HeadNs && x.HeadAt < y.HeadAt);
        }

        private void Up(int at)
        {
            while (at > 0)
            {
                int parent = (at - 1) / 2;
                if (!Before(_merge[at], _merge[parent]))
                    return;
                (_merge[at], _merge[parent]) = (_merge[parent], _merge[at]);
                at = parent;
            }
        }

        private void Down(int at, int count)
        {
            while (true)
            {
                int least = at, left = 2 * at + 1, right = left + 1;
                if (left < count && Before(_merge[left], _merge[least]))
                    least = left;
                if (right < count && Before(_merge[right], _merge[least]))
                    least = right;
                if (least == at)
                    return;
                (_merge[at], _merge[least]) = (_merge[least], _merge[at]);
                at = least;
            }
        }

        /// <summary>
        /// Walks a batch from <paramref name="pos"/> to its next event of the program (a timed event the analysis reads),
        /// leaving <paramref name="ts"/> at its time (ticks), its arguments in <paramref name="args"/> and <paramref name="pos"/>
        /// after it; false at the end of the batch or at an experimental event of unknown type (its length is unknown:
        /// the rest of the batch is skipped). Strings, stacks, CPU samples, frequencies, sync and clock snapshots and
        /// known experimental events are read past (the last two move the clock); <paramref name="record"/> (the first
        /// pass) keeps the strings, the stacks' first functions, the snapshots and the warnings.
        /// </summary>
        private bool Next(ulong gen, ref int pos, int end, ref ulong ts, Span<ulong> args, out byte type, out int at, bool record)
        {
            while (pos < end)
            {
                at = pos;
                type = data[pos++];
                switch (type)
                {
                    case EvStacks or EvStrings or EvCPUSamples:
                        continue;
                    case EvString:
                        ulong id = Read(ref pos, end, at);
                        ulong len = Read(ref pos, end, at);
                        // unsigned against what is left: a length of 2^63 or more would make pos + (long)len negative
                        if (len > (ulong)(end - pos))
                            throw Bad(at, string.Create(CultureInfo.InvariantCulture, $"a string of {len:N0} bytes runs past its batch ({end - pos:N0} bytes left)"));
                        if (record)
                            _strings[(gen, id)] = Encoding.UTF8.GetString(data, pos, (int)len);
                        pos += (int)len;
                        continue;
                    case EvStack:
                        ulong stackId = Read(ref pos, end, at);
                        ulong frames = Read(ref pos, end, at);
                        for (ulong f = 0; f < frames * 4; f++)
                        {
                            ulong value = Read(ref pos, end, at);
                            if (f == 1 && record) // the first frame's function name (frames are pc, func, file, line)
                                _stackFunc[(gen, stackId)] = value;
                        }

                        continue;
                    case EvCPUSample:
                        for (int i = 0; i < 5; i++)
                            Read(ref pos, end, at);
                        continue;
                    case EvFrequency:
                        // read ahead by ScanFrequencies (a generation's events need it before its batch comes)
                        Read(ref pos, end, at);
                        continue;
                    case EvSync when minor >= 25:
                        continue;
                    case EvClockSnapshot when minor >= 25:
                        // [dt, mono, sec, nsec]: timed like any event, but not one of the program's
                        for (int i = 0; i < 4; i++)
                            args[i] = Read(ref pos, end, at);
                        ts += args[0];
                        if (record && !HasSnapshot(gen))
                            _snapshots.Add((gen, Ns(ts, gen), args[1], args[2], args[3], FrequencyOf(gen) ?? 0));
                        continue;
                }

                if (type >= EvFirstExperimental)
                {
                    // an experiment's event (GOEXPERIMENT=allocfreetrace): known ones are read past (the time delta
                    // still moves the batch's clock); an unknown one has no length we know, so the rest of its batch
                    // (whose size the header declares) is skipped
                    int index = type - EvFirstExperimental;
                    if (index >= ExperimentalArgCounts.Length)
                    {
                        if (record)
                            _warnings.Add(string.Create(CultureInfo.InvariantCulture, $"An experimental event of unknown type {type} at byte {at:N0}: the rest of its batch ({end - at:N0} bytes) is skipped."));
                        pos = end;
                        return false;
                    }

                    for (int i = 0; i < ExperimentalArgCounts[index]; i++)
                        args[i] = Read(ref pos, end, at);
                    ts += args[0];
                    continue;
                }

                if (type >= ArgCounts.Length || type == 0 || type == EvEventBatch || type == EvExperimentalBatch)
                    throw Bad(at, $"unknown event type {type}");

                // A timed event: the first argument is the time delta.
                int count = ArgCounts[type];
                for (int i = 0; i < count; i++)
                    args[i] = Read(ref pos, end, at);
                ts += args[0];
                return true;
            }

            (type, at) = (0, pos);
            return false;
        }

        /// <summary>Whether generation <paramref name="gen"/>'s clock snapshot is kept (a loop: a lambda capturing <paramref name="gen"/> in <see cref="Next"/> would cost an allocation per event).</summary>
        private bool HasSnapshot(ulong gen)
        {
            foreach (var x in _snapshots)
            {
                if (x.Gen == gen)
                    return true;
            }

            return false;
        }

        /// <summary>Goroutine <paramref name="g"/> is in <paramref name="state"/> from <paramref name="ts"/> (ns).</summary>
        private void Set(ulong g, GState state, ulong ts)
        {
            ref int index = ref CollectionsMarshal.GetValueRefOrAddDefault(_gIndex, g, out bool known);
            if (!known)
            {
                index = _gIds.Count;
                _gIds.Add(g);
            }

            _transitions[_transitionCount++] = new Transition(ts, index, state);
        }

        /// <summary>
        /// The transitions sorted by time, in place, as <c>List.Sort</c> with the same comparison sorted the list of tuples
        /// this replaced (Span.Sort and List.Sort run the same introspective sort, so even ties land where they did).
        /// </summary>
        private ReadOnlySpan<Transition> SortedTransitions()
        {
            var all = _transitions.AsSpan(0, _transitionCount);
            all.Sort((x, y) => x.Time.CompareTo(y.Time));
            return all;
        }
    }
}
