using System.Collections.Concurrent;

namespace Pushpin.Connmgr.Server;

/// <summary>
/// A hashed timer wheel driven by the server's one coarse tick: each tick touches only the
/// timers falling due in the slots it passes (O(expiring)), not every connection.
/// </summary>
/// <remarks>
/// Any thread may <see cref="Schedule"/> (a lock-free queue, drained by the tick); only the tick
/// thread calls <see cref="Advance"/>. Timers are lazy: an owner whose deadline moved later keeps
/// its earlier entry and re-schedules when it fires, so a busy connection costs about one entry per
/// timeout period instead of one per request. Entries for deadlines beyond one revolution wait in
/// their slot until their turn.
/// </remarks>
/// <typeparam name="T">The owner told when its entry comes due.</typeparam>
internal sealed class TimerWheel<T>
    where T : class
{
    private readonly ConcurrentQueue<(T Owner, long Due)> _incoming = new();
    private readonly List<(T Owner, long Due)>[] _slots;
    private readonly long _tick;
    private long _lastTick;

    /// <param name="tickMilliseconds">The tick length (the granularity of every deadline).</param>
    /// <param name="slots">Slots in one revolution; deadlines further out than slots × tick wait extra turns.</param>
    /// <param name="now">The current time (ms ticks), where the wheel starts.</param>
    public TimerWheel(long tickMilliseconds, int slots, long now)
    {
        _tick = Math.Max(1, tickMilliseconds);
        _slots = new List<(T, long)>[slots];
        for (var i = 0; i < slots; i++)
        {
            _slots[i] = [];
        }
        _lastTick = now / _tick;
    }

    /// <summary>Asks for <paramref name="owner"/> to be returned by the first <see cref="Advance"/> at or after <paramref name="due"/>.</summary>
    public void Schedule(T owner, long due) => _incoming.Enqueue((owner, due));

    /// <summary>Moves the wheel to <paramref name="now"/>, adding every entry now due to <paramref name="fired"/>.</summary>
    public void Advance(long now, List<(T Owner, long Due)> fired)
    {
        var nowTick = now / _tick;
        while (_incoming.TryDequeue(out var entry))
        {
            if (entry.Due <= now)
            {
                fired.Add(entry);
            }
            else
            {
                _slots[SlotOf(entry.Due, nowTick)].Add(entry);
            }
        }
        // Visit each slot passed since the last advance (at most one revolution's worth), and the
        // last one again: it may hold deadlines later in that tick.
        var from = Math.Max(_lastTick, nowTick - _slots.Length + 1);
        for (var t = from; t <= nowTick; t++)
        {
            var slot = _slots[(int)(t % _slots.Length)];
            for (var i = slot.Count - 1; i >= 0; i--)
            {
                if (slot[i].Due <= now)
                {
                    fired.Add(slot[i]);
                    slot[i] = slot[^1];
                    slot.RemoveAt(slot.Count - 1);
                }
            }
        }
        _lastTick = Math.Max(_lastTick, nowTick);
    }

    /// <summary>The slot of a deadline, never one already passed.</summary>
    private int SlotOf(long due, long nowTick) => (int)(Math.Max(due / _tick, nowTick) % _slots.Length);
}
