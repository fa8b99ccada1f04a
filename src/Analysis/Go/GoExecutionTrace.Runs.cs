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
    /// so the first pass over the file only checks and counts events and notes each batch as a run (where it is, its M,
    /// its clock; 40 bytes, in one array sized by the batch count the frequency pre-scan finds); then <see cref="Merge"/>
    /// merges a generation's runs with a heap, reading each event again from the file's bytes when it comes up. Memory
    /// per event: none but the transition it makes (12 bytes, in one array sized from the counts). The events given to
    /// <see cref="Event"/>, and their order, are those of the per-generation sort by (time, file order) this replaced
    /// (what the first pass keeps and what Event changes are apart, so doing all of the one before the other changes
    /// nothing). A time going back within a batch (its clock wrapped: only a damaged trace) starts a new run there, so
    /// every run is in time order and the merge stays exact.
    /// </summary>
    private sealed partial class Decoder
    {
        /// <summary>
        /// A run: a stretch of one batch whose events' times never go down, from <see cref="Pos"/> (an offset in the
        /// file) to <see cref="End"/>, with its generation (an index in <see cref="_generations"/>), its thread and its
        /// clock (ticks) at <see cref="Pos"/>; while its generation is merged, <see cref="Pos"/> and <see cref="Ticks"/>
        /// move on and the head (the next event to process: offset, time in ns) is kept. 40 bytes.
        /// </summary>
        private struct EventRun
        {
            public int Pos, End, Generation, HeadAt;
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
        private EventRun[] _runs = []; // every batch's runs, in file order; sized by the batch count of the pre-scan
        private int _runCount, _eventBatches;
        private readonly List<ulong> _generations = new(); // each run of one generation's batches in the file: its generation
        private long _switches; // GoSwitch and GoSwitchDestroy events: the two transitions they make are the most an event makes
        private int[] _merge = []; // a binary min-heap of run indexes, by (head time, head offset)
        private readonly Dictionary<ulong, int> _gIndex = new(); // goroutine id -> its index in _gIds
        private readonly List<ulong> _gIds = new(); // every goroutine the trace mentions, in first-mention order
        private Transition[] _transitions = []; // in the order processed; sized by ProcessEvents
        private int _transitionCount;

        /// <summary>
        /// The first pass over one batch: strings, stacks, clock snapshots and warnings are kept, every event is checked
        /// (a damaged one throws here, before any event is processed), counted and its time noted; the batch's runs are
        /// noted for <see cref="ProcessEvents"/>.
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
                    AddRun(gen, runStart, after, m, runTicks);
                    (runStart, runTicks) = (after, ticksAfter);
                }

                (last, after, ticksAfter, any) = (ns, pos, ts, true);
            }

            if (any)
                AddRun(gen, runStart, end, m, runTicks);
        }

        private void AddRun(ulong gen, int start, int end, ulong m, ulong ticks)
        {
            if (_generations.Count == 0)
                _generations.Add(gen); // the first batch's generation is the one Run starts from (2^64 - 1): not announced
            if (_runCount == _runs.Length)
                Array.Resize(ref _runs, Math.Max(Math.Max(16, _eventBatches), _runs.Length * 2)); // a clock that went back adds runs
            _runs[_runCount++] = new EventRun { Pos = start, End = end, Generation = _generations.Count - 1, M = m, Ticks = ticks };
        }

        /// <summary>The batches from here on are of generation <paramref name="gen"/> (until another is named).</summary>
        private void Generation(ulong gen) => _generations.Add(gen);

        /// <summary>After the first pass: every generation's events, in time order, to <see cref="Event"/>.</summary>
        private void ProcessEvents()
        {
            // each event makes at most one transition, a switch two
            _transitions = new Transition[_events + _switches];
            int largest = 0;
            for (int first = 0, end; first < _runCount; first = end)
            {
                for (end = first + 1; end < _runCount && _runs[end].Generation == _runs[first].Generation; end++)
                {
                }

                largest = Math.Max(largest, end - first);
            }

            _merge = new int[largest];
            for (int first = 0, end; first < _runCount; first = end)
            {
                for (end = first + 1; end < _runCount && _runs[end].Generation == _runs[first].Generation; end++)
                {
                }

                Merge(_generations[_runs[first].Generation], first, end - first);
            }

            (_runs, _merge) = ([], []);
        }

        /// <summary>Gives the events of <paramref name="count"/> runs from <paramref name="first"/> (of generation <paramref name="gen"/>) to <see cref="Event"/> in time order, ties in file order.</summary>
        private void Merge(ulong gen, int first, int count)
        {
            Span<ulong> args = stackalloc ulong[MaxArgs];
            int heap = 0;
            for (int i = first; i < first + count; i++)
            {
                if (Advance(i, gen))
                {
                    _merge[heap] = i;
                    Up(heap++);
                }
            }

            while (heap > 0)
            {
                int top = _merge[0];
                ref var run = ref _runs[top];
                // the head's arguments, read again (a run keeps only where its head is)
                int pos = run.HeadAt;
                byte type = data[pos++];
                int n = ArgCounts[type];
                for (int a = 0; a < n; a++)
                    args[a] = Read(ref pos, run.End, run.HeadAt);
                Event(type, gen, run.M, run.HeadNs, args[..n]);
                if (!Advance(top, gen))
                    _merge[0] = _merge[--heap];
                if (heap > 0)
                    Down(0, heap);
            }
        }

        /// <summary>Moves run <paramref name="i"/>'s head to its next event; false at the end of the run.</summary>
        private bool Advance(int i, ulong gen)
        {
            ref var run = ref _runs[i];
            Span<ulong> args = stackalloc ulong[MaxArgs];
            if (run.Pos >= run.End || !Next(gen, ref run.Pos, run.End, ref run.Ticks, args, out _, out run.HeadAt, record: false))
                return false;
            run.HeadNs = Ns(run.Ticks, gen);
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Before(int a, int b)
        {
            ref var x = ref _runs[a];
            ref var y = ref _runs[b];
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
