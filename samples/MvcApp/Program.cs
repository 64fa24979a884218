using OidcRp.Samples.MvcApp;

var app = await SampleApp.BuildAsync(args);
await app.StartAsync();
SampleApp.PrintBanner(app, Console.Out);
await app.WaitForShutdownAsync();
