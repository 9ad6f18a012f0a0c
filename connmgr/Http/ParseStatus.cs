namespace Pushpin.Connmgr.Http;

/// <summary>Outcome of one parser call.</summary>
internal enum ParseStatus
{
    Complete,
    NeedMoreData,
    Rejected,
}
