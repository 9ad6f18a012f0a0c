using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Pushpin.Common.Hosting;

/// <summary>
/// Makes a System.CommandLine root command print a <see cref="ManPage"/> for <c>--help</c> and
/// <c>NAME VERSION</c> for <c>--version</c>, so those tools read like the daemons.
/// </summary>
public static class ManPageHelp
{
    public static void Apply(RootCommand root, ManPage page)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(page);
        foreach (var option in root.Options)
        {
            switch (option)
            {
                case HelpOption help:
                    help.Action = new PrintAction(page.Render);
                    break;
                case VersionOption version:
                    version.Action = new PrintAction(() => ManPage.VersionLine(page.Name) + "\n");
                    break;
                default:
                    break;
            }
        }
    }

    private sealed class PrintAction(Func<string> text) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.Write(text());
            return 0;
        }
    }
}
