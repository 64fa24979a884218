using OidcRp.Samples.Gateway;

await using var gateway = await GatewayApp.StartAsync(args);
GatewayApp.PrintBanner(gateway, Console.Out);
await gateway.App.WaitForShutdownAsync();
