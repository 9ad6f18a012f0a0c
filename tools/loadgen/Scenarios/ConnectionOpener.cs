namespace Pushpin.LoadGen.Scenarios;

/// <summary>
/// Opens many client connections, a bounded number at a time, and keeps those that got as far
/// as the scenario asks (the hold and idle scenarios): the rest count as failed.
/// </summary>
public static class ConnectionOpener
{
    /// <param name="prepare">
    /// Runs on each new connection (send a request, read a head...); false when the server's
    /// answer means a failure. Socket and I/O errors count as failures too.
    /// </param>
    public static async Task<(List<ClientConnection> Open, long Failed)> OpenAsync(
        Target target, int count, int concurrency, Func<ClientConnection, int, CancellationToken, Task<bool>> prepare, CancellationToken ct)
    {
        var open = new List<ClientConnection>(count);
        using var gate = new SemaphoreSlim(concurrency);
        long failed = 0;
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var conn = await ClientConnection.ConnectAsync(target.Client, target.SourceFor(i), ct).ConfigureAwait(false);
                if (!await prepare(conn, i, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref failed);
                    await conn.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                lock (open)
                {
                    open.Add(conn);
                }
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                Interlocked.Increment(ref failed);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return (open, failed);
    }
}
