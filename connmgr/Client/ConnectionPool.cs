using Microsoft.Extensions.Logging;

namespace Pushpin.Connmgr.Client;

/// <summary>
/// Idle keep-alive connections to backends, per <see cref="PoolKey"/>, newest first. Idle ones
/// are closed after <see cref="ClientOptions.PoolIdleTimeout"/> by the client mode's sweep.
/// </summary>
/// <remarks>Sessions run on the thread pool, so the lists are guarded by one lock; every
/// operation under it is a few pointer moves (closing happens outside it).</remarks>
internal sealed partial class ConnectionPool
{
    private readonly Dictionary<PoolKey, Stack<BackendConnection>> _idle = [];
    private readonly Lock _lock = new();
    private readonly int _maxPerKey;
    private readonly long _idleTimeout;
    private readonly ILogger _logger;
    private int _count;

    public ConnectionPool(int maxPerKey, TimeSpan idleTimeout, ILogger logger)
    {
        _maxPerKey = maxPerKey;
        _idleTimeout = (long)idleTimeout.TotalMilliseconds;
        _logger = logger;
    }

    /// <summary>Idle connections held now.</summary>
    public int IdleCount => Volatile.Read(ref _count);

    /// <summary>Idle connections held now for one target.</summary>
    public int IdleCountFor(PoolKey key)
    {
        lock (_lock)
        {
            return _idle.TryGetValue(key, out var stack) ? stack.Count : 0;
        }
    }

    /// <summary>An idle connection for <paramref name="key"/> that still looks alive, or null.</summary>
    public BackendConnection? Take(PoolKey key)
    {
        if (_maxPerKey <= 0)
        {
            return null;
        }
        while (true)
        {
            BackendConnection? c;
            lock (_lock)
            {
                if (!_idle.TryGetValue(key, out var stack) || !stack.TryPop(out c))
                {
                    return null;
                }
                _count--;
            }
            if (Environment.TickCount64 - c.IdleSince < _idleTimeout && c.LooksReusable())
            {
                c.Reused = true;
                return c;
            }
            _ = c.DisposeAsync().AsTask();
        }
    }

    /// <summary>Keeps <paramref name="connection"/> for a later request, or closes it when the target has enough idle ones.</summary>
    public void Return(BackendConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        lock (_lock)
        {
            if (!_idle.TryGetValue(connection.Key, out var stack))
            {
                stack = new Stack<BackendConnection>();
                _idle[connection.Key] = stack;
            }
            if (stack.Count < _maxPerKey)
            {
                stack.Push(connection);
                _count++;
                return;
            }
        }
        _ = connection.DisposeAsync().AsTask();
    }

    /// <summary>Closes connections idle longer than the timeout (called by the sweep).</summary>
    public void Expire(long now)
    {
        List<BackendConnection>? expired = null;
        lock (_lock)
        {
            foreach (var (key, stack) in _idle)
            {
                // Oldest at the bottom: rebuild only when something expired.
                if (stack.Count == 0 || !HasExpired(stack, now))
                {
                    continue;
                }
                var keep = stack.Where(c => now - c.IdleSince < _idleTimeout).Reverse().ToArray();
                foreach (var c in stack)
                {
                    if (now - c.IdleSince >= _idleTimeout)
                    {
                        (expired ??= []).Add(c);
                    }
                }
                stack.Clear();
                foreach (var c in keep)
                {
                    stack.Push(c);
                }
            }
            if (expired is not null)
            {
                _count -= expired.Count;
                foreach (var key in _idle.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList())
                {
                    _idle.Remove(key);
                }
            }
        }
        if (expired is not null)
        {
            LogExpired(_logger, expired.Count);
            foreach (var c in expired)
            {
                _ = c.DisposeAsync().AsTask();
            }
        }
    }

    /// <summary>Closes every idle connection (shutdown).</summary>
    public void Clear()
    {
        List<BackendConnection> all;
        lock (_lock)
        {
            all = _idle.Values.SelectMany(s => s).ToList();
            _idle.Clear();
            _count = 0;
        }
        foreach (var c in all)
        {
            _ = c.DisposeAsync().AsTask();
        }
    }

    private bool HasExpired(Stack<BackendConnection> stack, long now)
    {
        foreach (var c in stack)
        {
            if (now - c.IdleSince >= _idleTimeout)
            {
                return true;
            }
        }
        return false;
    }

    [LoggerMessage(EventId = 51, Level = LogLevel.Debug, Message = "client: closed {Count} idle backend connection(s)")]
    private static partial void LogExpired(ILogger logger, int count);
}
