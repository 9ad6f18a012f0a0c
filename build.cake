// Build script: dotnet tool restore && dotnet cake --target=<Build|Test|Bench|Publish>
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var solution = "./Pushpin.slnx";

Task("Build")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest(solution, new DotNetTestSettings { Configuration = configuration, NoBuild = true });
});

Task("Bench")
    .Does(() =>
{
    DotNetRun("./tools/benchmarks/Pushpin.Benchmarks.csproj",
        new ProcessArgumentBuilder().Append("--filter").Append(Argument("filter", "*")),
        new DotNetRunSettings { Configuration = "Release" });
});

Task("Publish")
    .Does(() =>
{
    foreach (var project in new[] { "runner", "connmgr", "proxy", "handler", "tools/publish" })
    {
        DotNetPublish($"./{project}", new DotNetPublishSettings
        {
            Configuration = "Release",
            SelfContained = true,
            Runtime = Argument("runtime", "linux-x64"),
            OutputDirectory = "./artifacts/publish",
        });
    }
});

RunTarget(target);
